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


def set_seed(seed: int = 42, *, keras: bool = True, torch: bool = False) -> np.random.Generator:
    """Seed every random generator a chapter uses; return a fresh NumPy generator.

    Seeds Python's ``random`` and NumPy's global generator; with ``keras=True``
    (the default) also Keras and its backend (TensorFlow or PyTorch) through
    ``keras.utils.set_random_seed``, importing Keras if needed; with ``torch=True``
    also PyTorch directly (``torch.manual_seed``), for chapters that use torch
    without Keras.  NumPy-only chapters pass ``keras=False`` to skip the
    TensorFlow import.  Call it once at the top of a notebook so that a run is
    repeatable on one machine.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (legacy global, used by students)
    if keras:
        import keras as keras_module

        keras_module.utils.set_random_seed(seed)
    if torch:
        import torch as torch_module

        torch_module.manual_seed(seed)
    return np.random.default_rng(seed)


def progress(iterable=None, *, total=None, desc=None, **kwargs):
    """A tqdm progress bar that only appears for steps longer than two seconds."""
    from tqdm.auto import tqdm

    kwargs.setdefault("delay", 2.0)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("disable", os.environ.get("DLPHYS_NO_PROGRESS") == "1")
    return tqdm(iterable, total=total, desc=desc, **kwargs)
