"""Run every benchmark in bench/ (each module with a ``main()``), one after another."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import bench

SKIP = {"common", "run_all"}


def main() -> int:
    failed = []
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name in SKIP:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if not hasattr(module, "main"):
            continue
        print(f"== bench.{info.name}", flush=True)
        try:
            module.main()
        except Exception:  # a broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(info.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
