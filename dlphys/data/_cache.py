"""The dataset cache: every simulator's output is stored once, checksummed, reused.

Contract (see the course design):

* cache directory ``$DLPHYS_DATA``, else ``datasets/cache`` in the course
  repository, else ``~/.cache/dlphys`` (``$XDG_CACHE_HOME`` honoured);
* the file name holds the dataset name, the generator version and a hash of the
  arguments, so a changed simulator (bumped version) never reads stale data;
* files are written atomically (temporary file in the same directory, then
  ``os.replace``), so an interrupted run never leaves a half-written file;
* each file carries a SHA-256 checksum of its arrays; a corrupt or truncated file
  is detected, reported with a warning, and regenerated.

Simulators validate their arguments *before* calling :func:`cached`, so a bad
argument raises ``ValueError`` and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

_CHECKSUM_KEY = "__sha256__"
_REPO_DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def cache_dir() -> Path:
    """The directory that holds cached datasets (created on demand)."""
    env = os.environ.get("DLPHYS_DATA")
    if env:
        path = Path(env).expanduser()
    elif _REPO_DATASETS.is_dir():
        path = _REPO_DATASETS / "cache"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        path = base / "dlphys"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _normalise(value):
    """Make argument values JSON-stable (NumPy scalars and arrays, tuples)."""
    if isinstance(value, np.ndarray):
        return [_normalise(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return float(repr(value)) if np.isfinite(value) else repr(value)
    return value


def cache_path(name: str, version: str | int, params: Mapping) -> Path:
    """Where the dataset ``name`` at ``version`` with arguments ``params`` lives."""
    blob = json.dumps({k: _normalise(v) for k, v in params.items()}, sort_keys=True)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-v{version}-{key}.npz"


def _checksum(arrays: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for key in sorted(arrays):
        arr = np.ascontiguousarray(arrays[key])
        digest.update(key.encode())
        digest.update(str(arr.dtype).encode())
        digest.update(str(arr.shape).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _read(path: Path) -> dict[str, np.ndarray] | None:
    """Arrays stored at ``path``, or None if the file is missing or corrupt."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        stored = str(arrays.pop(_CHECKSUM_KEY))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        warnings.warn(f"cache file {path.name} is unreadable ({err}); regenerating it",
                      stacklevel=3)
        return None
    if stored != _checksum(arrays):
        warnings.warn(f"cache file {path.name} fails its checksum; regenerating it", stacklevel=3)
        return None
    return arrays


def _write(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` with their checksum to ``path`` atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays, **{_CHECKSUM_KEY: np.array(_checksum(arrays))})
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(
    name: str,
    version: str | int,
    params: Mapping,
    generate: Callable[[], Mapping[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Return the arrays of dataset ``name``; generate and store them on first use.

    ``params`` are all arguments that change the arrays (sizes, seed, physics
    parameters); ``generate`` is called without arguments and must return a
    mapping of NumPy arrays.  The cache key is ``(name, version, params)``.
    """
    path = cache_path(name, version, params)
    arrays = _read(path)
    if arrays is None:
        arrays = {k: np.asarray(v) for k, v in generate().items()}
        bad = [k for k, v in arrays.items() if v.dtype == object]
        if bad:
            raise TypeError(f"dataset {name}: arrays {bad} have dtype object")
        _write(path, arrays)
    return arrays
