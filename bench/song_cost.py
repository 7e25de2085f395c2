"""A whole auto-approved song as a person runs it (``chromatic run --auto-approve``, a child
process): CPU seconds (user + system) and peak resident memory of the demo proposal, and of a
64-bar song (the demo's material in five sections, small evolution settings, so the render
dominates). Goals (issue 11): the demo under 40 s CPU, the 64-bar song's peak under 1.5 GB."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bench.common import write_result

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "proposals" / "night_watch.yml"
LONG_SECTIONS = [("intro", 8), ("verse", 16), ("chorus", 16), ("verse", 16), ("outro", 8)]


def _long_proposal(folder: Path) -> Path:
    yaml = YAML(typ="safe")
    data = yaml.load(DEMO.read_text(encoding="utf-8"))
    data["title"] = "Night Watch Long"
    data["sections"] = [{"name": n, "bars": b} for n, b in LONG_SECTIONS]
    data["evolution"] = {"population_size": 16, "generations": 5, "top_n": 10}
    path = folder / "night_watch_long.yml"
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path


def _run(proposal: Path, out: Path) -> dict[str, Any]:
    """Run one song in a child process; its CPU and peak RSS from the OS's accounting."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cli", "run", str(proposal), "--auto-approve"]
    cmd += ["--replace", "--out", str(out)]
    pid_t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{proposal}: exit {proc.returncode}\n{err[-2000:]}")
    return {
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "seconds": round(time.perf_counter() - pid_t0, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
    }


def main() -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {
            "demo": _run(DEMO, folder / "runs"),
            "song_64_bars": _run(_long_proposal(folder), folder / "runs"),
        }
    data = {"goals": {"demo_cpu_seconds": 40.0, "song_64_bars_peak_rss_mb": 1536.0}, **figures}
    path = write_result("song_cost", data)
    for name, f in figures.items():
        print(
            f"{name}: {f['cpu_seconds']:.1f} s CPU, {f['seconds']:.1f} s wall, "
            f"peak RSS {f['peak_rss_mb']:.0f} MB"
        )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
