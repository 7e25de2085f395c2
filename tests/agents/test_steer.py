"""A person steers a section of a finished run, with the real graph, checkpointer, evolution
and render: an imported part and a regenerated bar range are recorded in the checkpoint,
survive a crash in the middle of the work they start, rebuild the stale later phases for that
section alone, and reach song.mid; bad files and arguments are one clear error and write
nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from agents.decisions import record_decision
from agents.errors import RunStateError
from agents.review import load_review_document
from agents.run_state import read_status
from agents.rundir import RunDir
from agents.runner import Hooks, resume_run, start_run
from agents.steer import import_part, request_regenerate
from evolution.engine import GenerationStats
from music.errors import InputError, MidiFileError
from music.meter import Meter
from music.midi_io import Song, read_midi, write_midi
from music.notes import Note, Part
from tests.agents.run_fixtures import cli, write_proposal

FOUR_FOUR = Meter.parse("4/4")
BAR_QN = 4.0
BARS = 4  # each section of the small proposal


class Crash(Exception):
    """Stands for a kill in the middle of an evolution."""


def _crash(stats: GenerationStats) -> None:
    raise Crash(f"killed at generation {stats.generation}")


def _midi(path: Path, notes: Sequence[Note], *, drums: bool = False, meter: str = "4/4") -> Path:
    part = Part("part", tuple(notes), program=0, is_drum=drums)
    return write_midi(Song(parts=(part,), bpm=120.0, meter=Meter.parse(meter)), path)


def _drum_notes(bars: int = BARS) -> list[Note]:
    """Kick (35: a bass drum) on 1 and 3, snare (40: electric snare) on 2 and 4, closed hat on
    every eighth."""
    notes = []
    for b in range(bars):
        t = b * BAR_QN
        notes += [Note(t + q, t + q + 0.25, 35, 100) for q in (0.0, 2.0)]
        notes += [Note(t + q, t + q + 0.25, 40, 90) for q in (1.0, 3.0)]
        notes += [Note(t + k * 0.5, t + k * 0.5 + 0.25, 42, 70) for k in range(8)]
    return notes


def _section_notes(song: Song, part: str, start: float, end: float) -> list[tuple[float, int]]:
    track = next(p for p in song.parts if p.name == part)
    return sorted(
        (round(n.start - start, 3), n.pitch) for n in track.notes if start <= n.start < end
    )


def _section_span(run: RunDir, name: str) -> tuple[float, float]:
    arrangement = json.loads(run.arrangement.read_text(encoding="utf-8"))
    section = next(s for s in arrangement["sections"] if s["name"] == name)
    return float(section["start_qn"]), float(section["end_qn"])


def _genome(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8"))["genome"])


def _review_ids(run: RunDir, phase: str) -> list[str]:
    return [c["id"] for c in load_review_document(run.review(phase))["candidates"]]


def test_an_imported_drum_part_survives_a_crash_rebuilds_the_stale_phases_and_is_rendered(
    run: RunDir, tmp_path: Path
) -> None:
    before = read_midi(run.song_mid)
    chorus = _section_span(run, "chorus")
    old_files = {
        p: p.read_bytes()
        for p in (run.approved_data("drums", "verse"), run.approved_midi("drums", "verse"))
    }
    result = import_part(
        run.root, "drums", "verse", _midi(tmp_path / "mine.mid", _drum_notes(), drums=True)
    )
    assert result.steer.stale == ("bass", "melody")
    # Read as drum classes on the grid: 35 -> kick 36, 40 -> snare 38.
    hits = {(h[0], h[1]) for h in _genome(run.approved_data("drums", "verse"))["hits"]}
    assert {(0, 36), (4, 38), (8, 36), (12, 38), (2, 42)} <= hits and len(hits) == BARS * 12
    # Recorded in the checkpoint: the run goes on from the bass.
    assert read_status(run.root)[0].phase == "generate_bass"
    # A process killed after the record, before its copy into approved/: the run copies it.
    for path, data in old_files.items():
        path.write_bytes(data)
    with pytest.raises(Crash):
        resume_run(run_dir=run.root, auto_approve=True, hooks=Hooks(on_generation=_crash))
    assert read_status(run.root)[0].status == "interrupted"
    assert {(h[0], h[1]) for h in _genome(run.approved_data("drums", "verse"))["hits"]} == hits
    outcome = resume_run(run_dir=run.root, auto_approve=True)
    assert outcome.status == "done"
    # The stale phases were re-evolved for the verse alone, over the imported drums.
    assert _review_ids(run, "bass") == ["verse_001", "verse_002", "verse_003"]
    assert _review_ids(run, "melody") == ["verse_001", "verse_002", "verse_003"]
    assert load_review_document(run.review("bass"))["steer"].startswith(
        "verse only: the bass approved for it was built on the drums imported since"
    )
    song = read_midi(run.song_mid)
    verse = _section_span(run, "verse")
    expected = sorted((n.start, {35: 36, 40: 38}.get(n.pitch, n.pitch)) for n in _drum_notes())
    assert _section_notes(song, "drums", *verse) == expected
    assert _section_notes(song, "drums", *chorus) == _section_notes(before, "drums", *chorus)
    assert read_status(run.root)[1].get("steer") is None


def test_a_regenerated_bar_range_keeps_the_other_bars_survives_a_crash_and_is_rendered(
    run: RunDir,
) -> None:
    old = _genome(run.approved_data("drums", "verse"))
    spb = old["steps_per_unit"] * FOUR_FOUR.numerator
    kept_hits = [h for h in old["hits"] if h[0] < 2 * spb]
    result = request_regenerate(run.root, "drums", "verse", (3, 4))
    assert result.steer.kept is not None and result.steer.stale == ("bass", "melody")
    assert read_status(run.root)[0].phase == "generate_drums"
    with pytest.raises(Crash):
        resume_run(run_dir=run.root, hooks=Hooks(on_generation=_crash))
    outcome = resume_run(run_dir=run.root)
    assert outcome.status == "awaiting_review" and outcome.phase == "drums"
    ids = _review_ids(run, "drums")
    assert ids == ["verse_001", "verse_002", "verse_003"]
    assert load_review_document(run.review("drums"))["steer"] == (
        "regenerating bars 3-4 of verse (every candidate keeps the other bars of the "
        "approved drums); then bass, melody re-evolve it"
    )
    # status shows the steered gate, and the section approved before it.
    shown = cli("status", str(run.root), cwd=run.root.parent).stdout
    assert any("drums" in line and "chorus (earlier gate)" in line for line in shown.splitlines())
    changed = []
    for cid in ids:
        hits = _genome(run.candidate_data("drums", cid))["hits"]
        assert [h for h in hits if h[0] < 2 * spb] == kept_hits, cid
        if [h for h in hits if h[0] >= 2 * spb] != [h for h in old["hits"] if h[0] >= 2 * spb]:
            changed.append(cid)
    assert changed, "no candidate changed bars 3-4"
    pick = changed[0]
    record_decision(
        run_dir=run.root,
        phase="drums",
        candidate_id=pick,
        status="approved",
        label="verse",
        notes=None,
    )
    assert resume_run(run_dir=run.root, auto_approve=True).status == "done"
    assert _genome(run.approved_data("drums", "verse")) == _genome(
        run.candidate_data("drums", pick)
    )
    assert _review_ids(run, "bass") == ["verse_001", "verse_002", "verse_003"]
    song = read_midi(run.song_mid)
    picked = read_midi(run.candidate_midi("drums", pick))
    played = set(_section_notes(song, "drums", *_section_span(run, "verse")))
    wanted = set(_section_notes(picked, picked.parts[0].name, 0.0, BARS * BAR_QN))
    # The song plays the regenerated part: the verse's energy may thin its ghost notes, but
    # every hit it plays is the picked candidate's and most of the candidate is heard.
    assert played <= wanted and len(played) >= 0.75 * len(wanted)


def test_an_imported_melody_goes_straight_to_the_render(run: RunDir, tmp_path: Path) -> None:
    tune = [69, 72, 76, 74, 72, 71, 69, 64]
    notes = [Note(i * 2.0, i * 2.0 + 1.5, p, 90) for i, p in enumerate(tune)]
    path = _midi(tmp_path / "tune.mid", notes)
    result = cli("import", str(run.root), "melody", "chorus", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "imported:" in result.stdout and "bars: 4" in result.stdout
    heard = next(line for line in result.stdout.splitlines() if "key:" in line)
    assert heard.strip() in (
        "key: music21 hears A minor; the song is in A minor",
        "key: music21 hears C major; the song is in A minor",
    )
    assert f"done: {run.root}" in result.stdout
    song = read_midi(run.song_mid)
    assert _section_notes(song, "melody", *_section_span(run, "chorus")) == [
        (n.start, n.pitch) for n in notes
    ]


def test_imported_chords_are_read_as_chord_symbols_by_bar(run: RunDir, tmp_path: Path) -> None:
    voicings = [(57, 60, 64), (53, 57, 60), (48, 55, 64), (55, 59, 62)]  # Am F C G
    notes = [
        Note(b * BAR_QN, (b + 1) * BAR_QN, p, 80) for b, chord in enumerate(voicings) for p in chord
    ]
    result = import_part(run.root, "chords", "chorus", _midi(tmp_path / "chords.mid", notes))
    assert result.imported is not None
    assert result.imported.summary["chords"] == "Am | F | C | G"
    assert result.steer.stale == ("drums", "bass", "melody")
    assert read_status(run.root)[0].phase == "generate_drums"
    # The person's voicing is what the render will play.
    approved = read_midi(run.approved_midi("chords", "chorus"))
    assert sorted((n.start, n.pitch) for n in approved.parts[0].notes) == sorted(
        (n.start, n.pitch) for n in notes
    )


def _unchanged(run: RunDir, phase: str, section: str) -> bytes:
    return run.approved_data(phase, section).read_bytes()


@pytest.mark.parametrize(
    ("phase", "notes", "kwargs", "field", "value"),
    [
        ("drums", _drum_notes(), {"drums": True, "meter": "3/4"}, "time_signature", "3/4"),
        ("drums", _drum_notes(5), {"drums": True}, "length", "5 bars"),
        ("drums", [Note(0.0, 0.5, 60, 90)], {"drums": True}, "drum note", "60"),
        ("bass", [Note(0.0, 1.0, 90, 90)], {}, "pitch", "F#6 (90)"),
    ],
)
def test_a_bad_part_is_one_clear_error_naming_file_field_and_value_and_writes_nothing(
    run: RunDir,
    tmp_path: Path,
    phase: str,
    notes: list[Note],
    kwargs: dict[str, Any],
    field: str,
    value: str,
) -> None:
    before = _unchanged(run, phase, "verse")
    checkpoint = read_status(run.root)
    path = _midi(tmp_path / "bad.mid", notes, **kwargs)
    with pytest.raises(MidiFileError) as caught:
        import_part(run.root, phase, "verse", path)
    message = str(caught.value)
    assert str(path) in message and field in message and value in message and " -- " in message
    assert _unchanged(run, phase, "verse") == before
    assert read_status(run.root) == checkpoint


def test_bad_requests_are_refused_before_anything_is_recorded(run: RunDir, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mid"
    garbage.write_bytes(b"not a midi file")
    with pytest.raises(MidiFileError, match=r"garbage\.mid"):
        import_part(run.root, "drums", "verse", garbage)
    with pytest.raises(
        InputError, match="SECTION: 'bridge' -- a section with approved chords: verse, chorus"
    ):
        request_regenerate(run.root, "drums", "bridge")
    with pytest.raises(InputError, match=r"--bars: '5-6' -- bars within .* \(1-4\)"):
        request_regenerate(run.root, "drums", "verse", (5, 6))
    with pytest.raises(InputError, match="phase"):
        request_regenerate(run.root, "drumz", "verse")
    # A bass imported as notes has no genome to keep bars of.
    bass = [Note(b * BAR_QN, b * BAR_QN + 2, 45, 90) for b in range(BARS)]
    import_part(run.root, "bass", "verse", _midi(tmp_path / "bass.mid", bass))
    with pytest.raises(RunStateError, match="without --bars"):
        request_regenerate(run.root, "bass", "verse", (1, 2))
    result = cli("regenerate", str(run.root), "bass", "verse", "--bars", "x-2", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --bars: 'x-2' -- a bar range such as 5-8 (or one bar)"
    ]


def test_a_run_that_has_not_passed_the_gate_refuses(tmp_path: Path) -> None:
    outcome = start_run(
        proposal_path=write_proposal(tmp_path / "lamp.yml"), out_dir=tmp_path / "runs"
    )
    assert outcome.status == "awaiting_review"
    with pytest.raises(RunStateError, match="has not passed its chords gate"):
        request_regenerate(outcome.run_dir, "chords", "verse")
