"""Where a long render's memory goes: a 64-bar song (the shape of ``bench.song_cost``'s, 84 bpm
4/4, four parts, about 3 minutes) rendered with ``render.pipeline.render_song`` in this process,
with the traced (numpy included) memory each step adds at its peak over what was held before it,
the render's traced peak, the process's peak RSS, and the CPU seconds. The files' sha256 are
printed so a change meant to save memory can show it wrote the same bytes.

    python -m bench.render_memory   # prints the figures, writes bench/results/render_memory.json
"""

from __future__ import annotations

import functools
import hashlib
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import write_result
from bench.render import METER, phrases
from render import pipeline
from render.assemble import build_song, plan_arrangement

BPM = 84.0
FORM = [("intro", 8), ("verse", 16), ("chorus", 16), ("verse", 16), ("outro", 8)]
STEPS = ("write_stems", "analyze_stems", "mix_stems", "master", "write_mp3_master")


def _traced(name: str, steps: dict[str, int], fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def step(*args: Any, **kwargs: Any) -> Any:
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn(*args, **kwargs)
        steps[name] = max(steps.get(name, 0), tracemalloc.get_traced_memory()[1] - held)
        return out

    return step


def main() -> dict[str, Any]:
    verse, chorus = phrases("verse", 1), phrases("chorus", 2)
    by_label = {"intro": verse, "verse": verse, "chorus": chorus, "outro": chorus}
    approved = {part: {label: by_label[label][part] for label in by_label} for part in verse}
    arrangement = plan_arrangement(FORM, approved, bpm=BPM, meter=METER, phrase_qn=4 * METER.bar_qn)
    song = build_song(arrangement, approved)
    steps: dict[str, int] = {}
    for name in STEPS:  # the pipeline's own names for its steps, wrapped for the run
        setattr(pipeline, name, _traced(name, steps, getattr(pipeline, name)))
    tracemalloc.start()
    c0, t0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = pipeline.render_song(
            Path(tmp), song, sections=FORM, total_qn=arrangement.total_qn, color="Indigo"
        )
        files = [result.mix_wav, *([result.mix_mp3] if result.mix_mp3 else [])]
        files += list(result.stems.values())
        digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    mb = 2**20
    data = {
        "song_seconds": round(result.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "seconds": round(wall, 2),
        "traced_peak_mb": round(peak / mb, 1),
        "step_peak_over_held_mb": {k: round(v / mb, 1) for k, v in steps.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sha256": digests,
    }
    path = write_result("render_memory", data)
    print(
        f"64-bar render ({data['song_seconds']} s of audio): {data['cpu_seconds']} s CPU, traced "
        f"peak {data['traced_peak_mb']} MB, peak RSS {data['peak_rss_mb']} MB"
    )
    for k, v in data["step_peak_over_held_mb"].items():
        print(f"  {k:18s} +{v:7.1f} MB at its peak")
    print(f"wrote {path}")
    return data


if __name__ == "__main__":
    main()
