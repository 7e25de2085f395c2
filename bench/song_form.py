"""Form and variation of whole auto-approved songs, measured on their song.mid: per part, the
note overlap (share of notes matching in onset and pitch, :func:`render.variation.note_overlap`)
between each repeated section and its first playing, and between a section's chord-phrase
passes; intro and outro present; the final chord's root (music21) against the tonic; each
section's energy (mean velocity, notes per bar, parts playing); and the key music21 hears.
The same runs re-assembled without shaping (each phrase looped as approved) are the baseline.

Runs the demo and two other proposals (small evolution settings) with ``chromatic run
--auto-approve`` in child processes (in a temporary folder, or ``--keep DIR``), or measures the
run folders given with ``--runs``.
Goal (issue 14): every repeated part's overlap in (0.4, 0.9); the final chord the tonic.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import music21
from ruamel.yaml import YAML

from bench.common import write_result
from render.section_frame import note_overlap

ROOT = Path(__file__).resolve().parents[1]
PROPOSALS = ("night_watch", "harvest_waltz", "low_tide_letters")
EVOLUTION = {"population_size": 16, "generations": 4, "top_n": 4}


def _small_proposal(name: str, folder: Path) -> Path:
    yaml = YAML(typ="safe")
    data = yaml.load((ROOT / "proposals" / f"{name}.yml").read_text(encoding="utf-8"))
    data["evolution"] = EVOLUTION
    path = folder / f"{name}.yml"
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path


def _run(proposal: Path, out: Path) -> Path:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "cli", "run", str(proposal), "--auto-approve", "--replace"]
    proc = subprocess.run([*cmd, "--out", str(out)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{proposal}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return max((p for p in out.iterdir() if (p / "song.mid").is_file()), key=os.path.getmtime)


def _local(notes: Sequence[Any], start: float, end: float) -> list[Any]:
    return [n.shifted(-start) for n in notes if start - 1e-6 <= n.start < end - 1e-6]


def _final_root(song: Any, total_qn: float, bar_qn: float) -> int | None:
    final = total_qn - bar_qn
    pitches = [
        n.pitch
        for p in song.parts
        if not p.is_drum
        for n in p.notes
        if n.start <= final + 1e-6 < n.end
    ]
    return music21.chord.Chord(pitches).root().pitchClass if pitches else None


def _heard_key(song: Any) -> str:
    stream = music21.stream.Stream()
    for part in song.parts:
        for n in [] if part.is_drum else part.notes:
            stream.insert(n.start, music21.note.Note(n.pitch, quarterLength=n.duration))
    found = stream.analyze("key")
    return f"{found.tonic.name} {found.mode}"


def _repeats(song: Any, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    first: dict[str, dict[str, Any]] = {}
    for sec in sections:
        if sec.get("role", "body") != "body":
            continue
        if sec["name"] not in first:
            first[sec["name"]] = sec
            continue
        a = first[sec["name"]]
        row: dict[str, Any] = {"section": sec["name"], "first": a["index"], "again": sec["index"]}
        for part in song.parts:
            row[part.name] = round(
                note_overlap(
                    _local(part.notes, a["start_qn"], a["end_qn"]),
                    _local(part.notes, sec["start_qn"], sec["end_qn"]),
                ),
                3,
            )
        out.append(row)
    return out


def _phrase_passes(song: Any, sections: list[dict[str, Any]], phrase_qn: float) -> list[float]:
    chords = next((p for p in song.parts if p.name == "chords"), None)
    out = []
    for sec in sections:
        if chords is None or sec["end_qn"] - sec["start_qn"] < 2 * phrase_qn - 1e-6:
            continue
        s = sec["start_qn"]
        out.append(
            round(
                note_overlap(
                    _local(chords.notes, s, s + phrase_qn),
                    _local(chords.notes, s + phrase_qn, s + 2 * phrase_qn),
                ),
                3,
            )
        )
    return out


def _energy(song: Any, sections: list[dict[str, Any]], bar_qn: float) -> list[dict[str, Any]]:
    rows = []
    for sec in sections:
        notes = {p.name: _local(p.notes, sec["start_qn"], sec["end_qn"]) for p in song.parts}
        every = [n for ns in notes.values() for n in ns]
        rows.append(
            {
                "section": sec["name"],
                "energy": sec.get("energy"),
                "mean_velocity": round(statistics.fmean(n.velocity for n in every), 1)
                if every
                else 0.0,
                "notes_per_bar": round(len(every) / sec["bars"], 1),
                "parts": sorted(name for name, ns in notes.items() if ns),
            }
        )
    return rows


def measure(run_dir: Path, *, reassemble: bool = False) -> dict[str, Any]:
    """The figures of one finished run (module docstring), with the unshaped baseline;
    ``reassemble``: measure the song as this code assembles the run's approved parts (shaped
    with the proposal's seed) instead of its song.mid."""
    from agents.phases.render import approved_on_disk, approved_parts
    from agents.proposal import load_proposal
    from agents.rundir import RunDir
    from music.midi_io import read_midi
    from render.assemble import assemble

    run = RunDir(run_dir)
    proposal = load_proposal(run.proposal)
    arrangement = json.loads((run_dir / "arrangement.json").read_text(encoding="utf-8"))
    sections = arrangement["sections"]
    bar_qn = float(arrangement["bar_qn"])
    phrase_qn = float(arrangement["phrase_qn"])
    parts = approved_parts(run, approved_on_disk(run, ("chords", "drums", "bass", "melody")))
    form = [(s["name"], s["bars"]) for s in sections]
    kw = {"bpm": proposal.bpm, "meter": proposal.meter, "phrase_qn": phrase_qn}
    plain = assemble(form, parts, key=proposal.key, **kw)  # type: ignore[arg-type]
    song = (
        assemble(form, parts, key=proposal.key, seed=proposal.seed, **kw)  # type: ignore[arg-type]
        if reassemble
        else read_midi(run_dir / "song.mid")
    )
    root = _final_root(song, float(arrangement["total_qn"]), bar_qn)
    return {
        "run": run_dir.name,
        "key": proposal.key.name,
        "meter": str(proposal.meter),
        "form": [f"{s['name']}:{s['bars']}" for s in sections],
        "intro": any(s.get("role") == "intro" for s in sections),
        "outro": any(s.get("role") == "outro" for s in sections),
        "repeats": _repeats(song, sections),
        "repeats_unshaped": _repeats(plain, sections),
        "chord_phrase_passes": _phrase_passes(song, sections, phrase_qn),
        "chord_phrase_passes_unshaped": _phrase_passes(plain, sections, phrase_qn),
        "final_chord_root_is_tonic": root == proposal.key.tonic,
        "music21_key": _heard_key(song),
        "music21_key_unshaped": _heard_key(plain),
        "energy": _energy(song, sections, bar_qn),
    }


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="*", type=Path, help="finished run folders to measure")
    parser.add_argument(
        "--reassemble",
        action="store_true",
        help="measure the runs' approved parts as this code assembles them, not their song.mid",
    )
    parser.add_argument("--keep", type=Path, help="run the proposals in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        runs = list(args.runs or [])
        if not runs:
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            runs = [_run(_small_proposal(n, folder), folder / "runs") for n in PROPOSALS]
        songs = [measure(r, reassemble=args.reassemble) for r in runs]
    for s in songs:
        print(f"{s['run']} ({s['key']}, {s['meter']}): {' '.join(s['form'])}")
        tonic = s["final_chord_root_is_tonic"]
        print(f"  intro {s['intro']}  outro {s['outro']}  final tonic {tonic}")
        print(f"  music21: {s['music21_key']} (unshaped {s['music21_key_unshaped']})")
        for row, base in zip(s["repeats"], s["repeats_unshaped"], strict=True):
            figures = "  ".join(
                f"{k} {v} (was {base[k]})"
                for k, v in row.items()
                if k not in ("section", "first", "again")
            )
            print(f"  {row['section']} again: {figures}")
        passes, was = s["chord_phrase_passes"], s["chord_phrase_passes_unshaped"]
        print(f"  chord phrase passes: {passes} (was {was})")
        for e in s["energy"]:
            line = f"energy {e['energy']} vel {e['mean_velocity']} notes/bar {e['notes_per_bar']}"
            print(f"  {e['section']:>8} {line} {','.join(e['parts'])}")
    return write_result("song_form", {"songs": songs, "evolution": EVOLUTION})


if __name__ == "__main__":
    main()
