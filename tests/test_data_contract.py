"""The contract every simulator in ``dlphys.data.DATASETS`` keeps.

* one calling convention: ``load(n, *, seed=0, ...)`` -- the count first, every
  other argument keyword-only, every interval a ``<quantity>_range[_unit]`` pair
  checked by ``_validate.check_range``;
* every argument documented in the docstring;
* the generated arrays are pinned: a golden fingerprint per dataset
  (``tests/data_golden.json``), taken at small sizes with the stream-splitting block
  sizes made small too, so that the multi-block code path is covered.  A change of a
  simulator that changes its arrays fails here until its ``VERSION`` is bumped (and
  the golden file regenerated with ``python tests/test_data_contract.py``), so a cache
  hit can never return data the current code would not make.  The fingerprint is
  per-array sums compared to 1e-9 of their scale, not a hash of the bytes: numpy's
  AVX-512 ``exp``/``log`` differ from its AVX2 ones in the last bit, and a byte hash
  then fails on one CPU and passes on the next;
* block sizes that split the random streams are part of the cache key.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from dlphys.data import DATASETS

MODULES = {name: importlib.import_module(f"dlphys.data.{name}") for name in DATASETS}

#: name -> (load arguments, module constants patched); the fingerprints are in GOLDEN_FILE
GOLDEN_CASES = {
    "pendulum": (dict(n=300, seed=1), {}),
    "ising": (dict(n_per_temperature=30, L=8, temperatures=(1.5, 2.3, 3.5), seed=1),
              {"_BATCH_SITES": 256}),
    "calorimeter": (dict(n=300, seed=1), {"_CHUNK": 128}),
    "airshower": (dict(n=300, seed=1), {"_CHUNK": 128}),
    "speckle": (dict(n=40, size_px=32, seed=1), {"_CHUNK": 16}),
    "gw": (dict(n=12, seed=1), {"_CHUNK": 5}),
    "cosmic_sky": (dict(n=40, n_rays=50, seed=1), {}),
}
GOLDEN_FILE = Path(__file__).with_name("data_golden.json")
#: how far a fingerprint's sums may move, relative to their scale (last-bit noise is ~1e-16)
FINGERPRINT_RTOL = 1e-9
#: allowed unit suffixes of range arguments (empty: a dimensionless quantity)
RANGE_NAME = re.compile(r"^[a-z0-9_]+_range(_(s|hz|m|gev|eev|msun|px|deg))?$")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


def stored_arrays(folder) -> dict[str, np.ndarray]:
    (path,) = [p for p in folder.iterdir() if p.suffix == ".npz"]
    with np.load(path) as npz:
        return {key: npz[key] for key in npz.files if not key.startswith("__")}


def fingerprint(arrays) -> dict[str, dict]:
    """Dtype, shape and three sums of every array: any real change moves them, a
    last-bit difference between CPUs does not."""
    result = {}
    for key in sorted(arrays):
        values = np.asarray(arrays[key], dtype=np.float64).ravel()
        is_finite = np.isfinite(values)
        finite = np.where(is_finite, values, 0.0)
        weights = np.cos(0.7 * np.arange(values.size))  # sees a reordering of the values
        result[key] = {"dtype": str(arrays[key].dtype), "shape": list(arrays[key].shape),
                       "non_finite": int(values.size - is_finite.sum()),
                       "sum_abs": float(np.abs(finite).sum()),
                       "sum_squares": float((finite ** 2).sum()),
                       "sum_weighted": float((weights * finite).sum())}
    return result


def fingerprint_differences(got: dict, expected: dict) -> list[str]:
    """What differs between two fingerprints, beyond the tolerance; empty if they agree."""
    if sorted(got) != sorted(expected):
        return [f"arrays {sorted(got)} instead of {sorted(expected)}"]
    problems = []
    for key, want in expected.items():
        have = got[key]
        for exact in ("dtype", "shape", "non_finite"):
            if have[exact] != want[exact]:
                problems.append(f"{key}.{exact}: {have[exact]} instead of {want[exact]}")
        scale = {"sum_abs": want["sum_abs"], "sum_squares": want["sum_squares"],
                 "sum_weighted": want["sum_abs"]}
        for stat, reference in scale.items():
            if abs(have[stat] - want[stat]) > FINGERPRINT_RTOL * reference:
                problems.append(f"{key}.{stat}: {have[stat]!r} instead of {want[stat]!r}")
    return problems


def generate(name: str, small_blocks: bool = True) -> dict[str, np.ndarray]:
    """The golden case of ``name``, generated into the current cache folder."""
    kwargs, patches = GOLDEN_CASES[name]
    module = MODULES[name]
    saved = {constant: getattr(module, constant) for constant in patches}
    try:
        if small_blocks:
            for constant, value in patches.items():
                setattr(module, constant, value)
        return module.load(**kwargs)
    finally:
        for constant, value in saved.items():
            setattr(module, constant, value)


def golden() -> dict:
    return json.loads(GOLDEN_FILE.read_text())


def test_every_dataset_is_pinned():
    assert set(GOLDEN_CASES) == set(DATASETS) == set(golden())


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
def test_generated_arrays_match_the_golden_fingerprint(name, cache):
    expected = golden()[name]
    generate(name)
    problems = fingerprint_differences(fingerprint(stored_arrays(cache)), expected["arrays"])
    version = MODULES[name].VERSION
    assert version == expected["version"] and not problems, (
        f"dlphys.data.{name} (VERSION {version}, golden {expected['version']}) now generates "
        f"different arrays for {GOLDEN_CASES[name][0]}: {problems[:5]}. If the change is "
        f"intended, bump VERSION in dlphys/data/{name}.py and regenerate {GOLDEN_FILE.name} "
        f"with `python tests/test_data_contract.py`, so that no cache returns the old arrays.")


@pytest.mark.parametrize("name", [n for n, (_, patches) in GOLDEN_CASES.items()
                                  if patches and n != "gw"])
def test_block_sizes_that_split_random_streams_are_in_the_key(name, cache):
    generate(name, small_blocks=False)
    generate(name)  # a different key: a second file, not a stale hit
    assert len([p for p in cache.iterdir() if p.suffix == ".npz"]) == 2


def test_gw_blocks_do_not_change_the_arrays(tmp_path, monkeypatch):
    """gw draws its streams so that the block size does not matter: check the claim,
    bit for bit on this machine."""
    arrays = []
    for small_blocks in (False, True):
        folder = tmp_path / str(small_blocks)
        monkeypatch.setenv("DLPHYS_DATA", str(folder))
        generate("gw", small_blocks)
        arrays.append(stored_arrays(folder))
    assert sorted(arrays[0]) == sorted(arrays[1])
    for key in arrays[0]:
        np.testing.assert_array_equal(arrays[0][key], arrays[1][key], err_msg=key)


if __name__ == "__main__":
    # regenerate the golden file after an intended change of a simulator (and its VERSION)
    import os
    import tempfile

    result = {}
    for name in DATASETS:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["DLPHYS_DATA"] = folder
            generate(name)
            result[name] = {"version": MODULES[name].VERSION,
                            "arrays": fingerprint(stored_arrays(Path(folder)))}
    GOLDEN_FILE.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {GOLDEN_FILE}", file=sys.stderr)
