"""Command line of the simulators.

``python -m dlphys.data generate [NAME ...]``
    generate every default dataset into the cache (``make data``), with timings.
``python -m dlphys.data bench [NAME ...]``
    time each default dataset's generation into an empty temporary cache (honest
    first-use times) and its second, cached, load.
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time
from contextlib import contextmanager

from . import DATASETS


@contextmanager
def _temporary_cache():
    previous = os.environ.get("DLPHYS_DATA")
    with tempfile.TemporaryDirectory(prefix="dlphys-bench-") as tmp:
        os.environ["DLPHYS_DATA"] = tmp
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("DLPHYS_DATA", None)
            else:
                os.environ["DLPHYS_DATA"] = previous


def time_default_loads(names) -> list[tuple[str, float, float]]:
    """(name, first load in s, second load in s) for each dataset's default ``load()``."""
    rows = []
    for name in names:
        module = importlib.import_module(f"dlphys.data.{name}")
        start = time.perf_counter()
        module.load()
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        module.load()
        second_s = time.perf_counter() - start
        rows.append((name, first_s, second_s))
        print(f"{name:12s} first load {first_s:7.2f} s   cached load {second_s:6.3f} s", flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlphys.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "bench"])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"datasets (default: all of {', '.join(DATASETS)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(DATASETS)}")
    names = args.names or list(DATASETS)
    if args.command == "bench":
        with _temporary_cache():
            time_default_loads(names)
    else:
        time_default_loads(names)


if __name__ == "__main__":
    main()
