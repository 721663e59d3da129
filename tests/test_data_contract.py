"""The contract every simulator in ``dlphys.data.DATASETS`` keeps.

* one calling convention: ``load(n, *, seed=0, ...)`` -- the count first, every
  other argument keyword-only, every interval a ``<quantity>_range[_unit]`` pair
  checked by ``_validate.check_range``;
* every argument documented in the docstring;
* the generated arrays are pinned: a golden SHA-256 per dataset, taken at small
  sizes with the stream-splitting block sizes made small too, so that the
  multi-block code path is covered.  A change of a simulator that changes its
  arrays fails here until its ``VERSION`` is bumped (and the golden value
  updated), so a cache hit can never return data the current code would not make;
* block sizes that split the random streams are part of the cache key.
"""

from __future__ import annotations

import importlib
import inspect
import re

import numpy as np
import pytest

from dlphys.data import DATASETS

MODULES = {name: importlib.import_module(f"dlphys.data.{name}") for name in DATASETS}

#: name -> (VERSION, load arguments, module constants patched, SHA-256 of the arrays)
GOLDEN = {
    "pendulum": (1, dict(n=300, seed=1), {},
                 "7271a70204da907d593fac2831b3c6d37c6a16ef04697f3d1f02ecc103122b7f"),
    "ising": (1, dict(n_per_temperature=30, L=8, temperatures=(1.5, 2.3, 3.5), seed=1),
              {"_BATCH_SITES": 256},
              "3c629a511bee513fbee429341a27316669da7fc1c4952003b40e543f5a22c411"),
    "calorimeter": (1, dict(n=300, seed=1), {"_CHUNK": 128},
                    "1387f0491670a9b3f7361e1a39bf341b3f36aac341405e1c96e46f8be030845b"),
    "airshower": (1, dict(n=300, seed=1), {"_CHUNK": 128},
                  "3815d756bc44ac02d21ce2943cc40687d388ee3148ca0fb31bc3d384610a1bce"),
    "speckle": (1, dict(n=40, size_px=32, seed=1), {"_CHUNK": 16},
                "c3a9252f814262e06a08eea65e6fa4080d272d649a6aed4e4d216086b7d0b5df"),
    "gw": (1, dict(n=12, seed=1), {"_CHUNK": 5},
           "62363426514206e32bd72145dc73943fbf02ca910054b58a6c31d8ccb3180772"),
    "cosmic_sky": (1, dict(n=40, n_rays=50, seed=1), {},
                   "3e3e864bb18f5d07e49a71becc228ceee1b887a1a8aa9a2499f35cb369bb4f36"),
}
#: allowed unit suffixes of range arguments (empty: a dimensionless quantity)
RANGE_NAME = re.compile(r"^[a-z0-9_]+_range(_(s|hz|m|gev|eev|msun|px|deg))?$")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


def stored_checksum(folder) -> str:
    (path,) = [p for p in folder.iterdir() if p.suffix == ".npz"]
    with np.load(path) as npz:
        return str(npz["__sha256__"])


def test_every_dataset_is_pinned():
    assert set(GOLDEN) == set(DATASETS)


@pytest.mark.parametrize("name", DATASETS)
def test_load_signature_follows_the_convention(name):
    parameters = list(inspect.signature(MODULES[name].load).parameters.values())
    first, rest = parameters[0], parameters[1:]
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert first.name == "n" or first.name.startswith("n_per_"), first.name
    assert isinstance(first.default, int) and first.default > 0
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest), \
        f"{name}.load: every argument after {first.name!r} must be keyword-only"
    by_name = {p.name: p for p in parameters}
    assert "seed" in by_name and by_name["seed"].default == 0
    doc = inspect.getdoc(MODULES[name].load)
    for p in parameters:
        assert re.search(rf"^\s+{p.name}:", doc, re.M), f"{name}.load does not document {p.name}"
    for p in rest:
        if "range" in p.name:
            assert RANGE_NAME.match(p.name), f"{name}.load: range argument {p.name!r}"
            assert isinstance(p.default, tuple) and len(p.default) == 2


@pytest.mark.parametrize("name", DATASETS)
def test_reversed_or_malformed_range_names_the_argument(name, cache):
    load = MODULES[name].load
    ranges = [p for p in inspect.signature(load).parameters.values() if "range" in p.name]
    for p in ranges:
        low, high = p.default
        for bad in [(high, low), (low,), "wide", (low, float("nan"))]:
            if bad == (high, low) and low == high:
                continue
            with pytest.raises(ValueError, match=p.name):
                load(**{p.name: bad})
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("name", DATASETS)
def test_generated_arrays_match_the_golden_checksum(name, cache, monkeypatch):
    module = MODULES[name]
    version, kwargs, patches, expected = GOLDEN[name]
    for constant, value in patches.items():
        monkeypatch.setattr(module, constant, value)
    module.load(**kwargs)
    got = stored_checksum(cache)
    assert module.VERSION == version and got == expected, (
        f"dlphys.data.{name} now generates different arrays for {kwargs} (sha256 {got}). "
        f"If the change is intended, bump VERSION in dlphys/data/{name}.py (now "
        f"{module.VERSION}) and put the new version and checksum into GOLDEN in "
        f"tests/test_data_contract.py, so that no cache returns the old arrays.")


@pytest.mark.parametrize("name", [n for n, g in GOLDEN.items() if g[2] and n != "gw"])
def test_block_sizes_that_split_random_streams_are_in_the_key(name, cache, monkeypatch):
    module = MODULES[name]
    _, kwargs, patches, _ = GOLDEN[name]
    module.load(**kwargs)
    for constant, value in patches.items():
        monkeypatch.setattr(module, constant, value)
    module.load(**kwargs)  # a different key: a second file, not a stale hit
    assert len([p for p in cache.iterdir() if p.suffix == ".npz"]) == 2


def test_gw_blocks_do_not_change_the_arrays(cache):
    """gw draws its streams so that the block size does not matter: check the claim."""
    _, kwargs, _, expected = GOLDEN["gw"]
    MODULES["gw"].load(**kwargs)  # default block size
    assert stored_checksum(cache) == expected
