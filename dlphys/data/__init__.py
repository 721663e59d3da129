"""Physics simulators, one module per dataset.

Each module exposes ``load(...)`` returning a small frozen dataclass of NumPy
arrays, with documented fields and units; ``load()`` without arguments gives the
default size a chapter uses.  Results are cached (see :mod:`dlphys.data._cache`)
and bit-identical for the same arguments and seed.

``python -m dlphys.data bench`` times the generation and the cached load of every
default dataset.
"""

from ._cache import cache_dir, cached

#: every simulator module, in curriculum order: ``python -m dlphys.data`` and the
#: contract test (tests/test_data_contract.py) iterate over it
DATASETS = ("pendulum", "ising", "calorimeter", "airshower", "speckle", "gw", "cosmic_sky")

__all__ = ["DATASETS", "cache_dir", "cached"]
