"""dlphys: the helper package of the *Deep Learning in Physics Research* course.

Chapters import from here; nothing here imports a chapter.

* :mod:`dlphys.data` -- physics simulators, cached and checksummed.
* :mod:`dlphys.baselines` -- the classical or optimal answer for each data set.
* :mod:`dlphys.metrics` -- resolutions, ROC/AUC, overlaps.
* :mod:`dlphys.plot` -- the few plotting helpers the chapters share.
* :mod:`dlphys.training` -- Keras conveniences (progress bar callback).
"""

from __future__ import annotations

import os
import random

import numpy as np

__version__ = "0.1.0"
__all__ = ["fast_mode", "set_seed", "progress"]

# Keep TensorFlow's C++ start-up chatter out of notebooks and the book.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def fast_mode() -> bool:
    """True when ``DLPHYS_FAST=1``: small data and few epochs, for the test suite.

    The book is built in full mode; fast mode only checks that a chapter runs and
    that its result is roughly right.
    """
    value = os.environ.get("DLPHYS_FAST", "0").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"DLPHYS_FAST must be 0 or 1, got {value!r}")


def set_seed(seed: int = 42) -> np.random.Generator:
    """Seed Python, NumPy and (if it is already imported) Keras; return a NumPy generator.

    Call it once at the top of a notebook so that a run is repeatable on one
    machine.  Keras is only seeded when the caller has imported it, so this
    function never pays the TensorFlow start-up cost by itself.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002  (legacy global, used by students)
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(int(seed))
    return np.random.default_rng(int(seed))


def progress(iterable=None, *, total=None, desc=None, **kwargs):
    """A tqdm progress bar that only appears for steps longer than two seconds."""
    from tqdm.auto import tqdm

    kwargs.setdefault("delay", 2.0)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("disable", os.environ.get("DLPHYS_NO_PROGRESS") == "1")
    return tqdm(iterable, total=total, desc=desc, **kwargs)
