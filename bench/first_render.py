"""The first render after set-up: the whole render of the 2-minute song of bench/render.py in
a new process with an empty numba cache (``NUMBA_CACHE_DIR`` a fresh folder), as on a fresh
install, where anything numba-compiled is compiled on first use.

    python -m bench.first_render                       # this checkout
    python -m bench.first_render --compare ../main     # and another checkout, for before/after

Prints wall and CPU seconds per render stage and whether librosa or numba were imported, and
writes bench/results/first_render.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import write_result

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from bench.render import FORM, two_minute_song
from render.pipeline import render_song

song, total_qn = two_minute_song()
with tempfile.TemporaryDirectory() as tmp:
    t0, c0 = time.perf_counter(), time.process_time()
    result = render_song(
        Path(tmp), song, sections=FORM, total_qn=total_qn, color="Indigo", mood=["dreamy"]
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"librosa", "numba"})
print(json.dumps({
    "wall_s": round(wall, 2),
    "cpu_s": round(cpu, 2),
    "stage_s": {k: round(v, 2) for k, v in result.timings.items()},
    "imported": loaded,
}))
"""


def first_render(tree: Path) -> dict[str, Any]:
    """The first render's figures for the checkout at ``tree``, in a new process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(tree),
            "NUMBA_CACHE_DIR": cache,
        }
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], cwd=tree, env=env, capture_output=True, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"first render in {tree} failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"tree": str(tree), **figures}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", type=Path, help="another checkout to measure as well")
    args = parser.parse_args(argv if argv is not None else [])
    trees = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    results = [first_render(tree) for tree in trees]
    for r in results:
        print(
            f"{r['tree']}: first render {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; "
            f"stages {r['stage_s']}; imported {r['imported'] or 'neither librosa nor numba'}"
        )
    data = {"song_s": 120, "runs": results}
    path = write_result("first_render", data)
    print(f"wrote {path}")
    return data


if __name__ == "__main__":
    main(sys.argv[1:])
