"""The drums, bass and melody phases with the real graph, checkpointer, generators, theory
scores and ChromaticScorer (small populations): every phase runs in order and promotes, in odd
meters too; the bass follows the approved chords and kick; a run stopped at the drums gate
resumes; genomes round-trip through their JSON."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest
from ruamel.yaml import YAML

from agents.form import make_form
from agents.phases.approved import (
    approved_bass,
    approved_drums,
    approved_genome,
    follows_another,
    kick_grid_onsets,
    leads_into_another,
    played_level,
    section_chords,
)
from agents.phases.bass import run_bass_phase
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote
from agents.phases.drums import run_drums_phase, section_seeds, tile
from agents.phases.melody import (
    MelodyEvaluator,
    run_melody_phase,
    section_lyrics,
)
from agents.proposal import load_proposal
from agents.review import read_decisions, set_decision
from agents.run_graph import run_status
from agents.rundir import RunDir
from agents.runner import resume_run, start_run
from evolution.fitness.bass import BassEvaluator
from evolution.fitness.chords import ChordEvaluator
from evolution.fitness.drums import DrumEvaluator
from generators.bass.operators import BassOps
from generators.chord_model import ChordTransitionModel
from generators.chords import genome as chord_genome
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from generators.drums.genome import has_fill
from generators.drums.grid import CRASH
from generators.drums.styles import skeleton
from generators.drums.to_midi import kick_onsets
from generators.harmony import chord_timeline
from generators.melody.operators import MelodyOps
from generators.melody.ranges import voice_for
from music.dynamics import at_level
from music.keys import Key
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import lyric_events
from scoring.composite import Weights

PARTS = ("drums", "bass", "melody")
SMALL = {"population_size": 12, "generations": 3, "top_n": 3}
LYRICS = "[Verse]\nthe lamp is on the window sill\nno one comes\n[Chorus]\ncome home, come home\n"


def _review(run_dir: Path, phase: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((run_dir / phase / "review.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_auto_approved_run_goes_through_all_four_phases(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal(evolution=SMALL, lyrics=LYRICS)
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path, auto_approve=True)
    assert outcome.status == "done"
    run_dir = outcome.run_dir
    _, values = run_status(run_dir)
    assert list(values["phases"]) == ["chords", *PARTS]
    meter = Meter(4, 4)
    for phase in PARTS:
        assert values["phases"][phase]["status"] == "promoted"
        assert set(values["phases"][phase]["approvals"]) == {"verse", "chorus"}
        review = _review(run_dir, phase)
        entries = review["candidates"]
        assert isinstance(entries, list) and len(entries) == 6  # 3 per section
        assert {e["section"] for e in entries} == {"verse", "chorus"}
        for e in entries:
            assert e["description"] and e["scores"]["chromatic"]["match"] > 0
        for label, bars in (("verse", 8), ("chorus", 4)):
            song = read_midi(run_dir / phase / "approved" / f"{label}.mid")
            assert song.parts[0].name == label
            # One section long: nothing sounds past the section's last bar.
            assert 0 < song.end <= bars * meter.bar_qn + 0.25
    drums = _review(run_dir, "drums")["candidates"][0]["description"]
    assert "kick" in drums["pattern"] and drums["fills"]
    bass = _review(run_dir, "bass")["candidates"][0]["description"]
    assert "range" in bass and bass["summary"]
    melody = _review(run_dir, "melody")["candidates"]
    verse_melody = melody[0]["description"]
    assert "window sill" in verse_melody["lyrics"] and "phrase 1" in verse_melody["contour"]
    # The verse's sung syllables are in the candidate MIDI as lyric events, one per note.
    mid = mido.MidiFile(run_dir / "melody" / "candidates" / "verse_001.mid")
    sung = [m.text for t in mid.tracks for m in t if m.type == "lyrics"]
    assert sung[:4] == ["the", "lamp", "is", "on"]
    # ... kept by the approval and in the finished song, on the verse's notes.
    approved = read_midi(run_dir / "melody" / "approved" / "verse.mid").parts[0]
    assert [text for _, text in lyric_events(approved)][:4] == sung[:4]
    song = read_midi(run_dir / "song.mid")
    melody_track = next(p for p in song.parts if p.name == "melody")
    in_song = lyric_events(melody_track)
    assert [text for _, text in in_song][:4] == sung[:4]
    onsets = {round(n.start, 3) for n in melody_track.notes}
    assert all(round(t, 3) in onsets for t, _ in in_song)
    _check_bass_follows_the_approved_chords_and_kick(RunDir(run_dir))
    # The chorus (played after the verse) starts near where the verse's best melody ended.
    cands = run_dir / "melody" / "candidates"
    verse_end = max(read_midi(cands / "verse_001.mid").parts[0].notes, key=lambda n: n.start)
    for path in sorted(cands.glob("chorus_*.mid")):
        first = min(read_midi(path).parts[0].notes, key=lambda n: n.start)
        assert abs(first.pitch - verse_end.pitch) <= 5, path.name


def _strong_beat_chord_tone_rate(run: RunDir, label: str, key: Key, meter: Meter) -> float:
    bass = read_midi(run.approved_midi("bass", label)).parts[0].notes
    bars = 8 if label == "verse" else 4
    progression = approved_genome(run, "chords", label, chord_genome.from_data)
    assert progression is not None
    harmony = chord_timeline(progression, key, meter, bars=bars)
    strong = [n for n in bass if meter.is_strong(n.start % meter.bar_qn)]
    assert len(strong) >= bars  # at least one note on a strong beat per bar
    return sum(n.pitch % 12 in harmony.at(n.start).pitch_classes for n in strong) / len(strong)


def _check_bass_follows_the_approved_chords_and_kick(run: RunDir) -> None:
    key, meter = Key(9, "minor"), Meter(4, 4)
    for label in ("verse", "chorus"):
        # Chance: a random pitch class is one of a triad's three tones 3 times in 12.
        assert _strong_beat_chord_tone_rate(run, label, key, meter) >= 0.75
        # Onsets lock to the approved kick (as heard in the approved drums MIDI, with the
        # drummer's micro-timing): most kicks are met by a bass onset within a sixteenth.
        kicks = kick_onsets(read_midi(run.approved_midi("drums", label)).parts[0])
        onsets = np.array(
            [n.start for n in read_midi(run.approved_midi("bass", label)).parts[0].notes]
        )
        assert kicks
        met = [float(np.min(np.abs(onsets - k))) <= 0.25 for k in kicks]
        assert sum(met) / len(met) >= 0.6
        # ... far more than bass onsets put at random sixteenths would.
        rng = np.random.default_rng(0)
        steps = round(max(kicks) / 0.25) + 1
        shuffled = rng.choice(steps, size=len(onsets), replace=len(onsets) > steps) * 0.25
        chance = np.mean([float(np.min(np.abs(shuffled - k))) <= 0.25 for k in kicks])
        assert sum(met) / len(met) > chance
        # The grid kicks the bass was scored against are the approved drums' own.
        grid_kicks = kick_grid_onsets(approved_drums(run, label))
        assert len(grid_kicks) == len(kicks)
        # The bass the melody phase hears (the approved genome over the approved chords, as
        # written) is the promoted MIDI note for note, once played at the song's level.
        proposal = load_proposal(run.proposal)
        bars = 8 if label == "verse" else 4
        chords = section_chords(
            run=run, proposal=proposal, label=label, bars=bars, heard_by="melody"
        )
        heard = approved_bass(run, proposal, chords)
        assert heard is not None
        promoted = read_midi(run.approved_midi("bass", label)).parts[0].notes

        def notes(seq: Any) -> list[tuple[float, float, int, int]]:
            return [(round(n.start, 6), round(n.end, 6), n.pitch, n.velocity) for n in seq]

        played = at_level(heard, played_level(run, proposal, "bass", label))
        assert notes(played.notes) == notes(promoted)


def _approved_ends(run: RunDir, phase: str, signature: str, bars: dict[str, int]) -> None:
    meter = Meter.parse(signature)
    for label, n in bars.items():
        path = run.approved_midi(phase, label)
        ts = next(m for t in mido.MidiFile(path).tracks for m in t if m.type == "time_signature")
        assert f"{ts.numerator}/{ts.denominator}" == signature
        # One section long: it reaches into the last bar and nothing sounds past it.
        end = read_midi(path).end
        assert (n - 1) * meter.bar_qn < end <= n * meter.bar_qn + 0.25, (phase, label)


@pytest.mark.parametrize("signature", ["3/4", "6/8", "5/4", "12/8"])
def test_every_phase_meets_the_meter(
    make_proposal: Callable[..., Path], tmp_path: Path, signature: str
) -> None:
    """The four phase functions one after another (the graph itself runs in 4/4 and 7/8
    above and below), each promoting its top candidate per section."""
    tiny = {"population_size": 8, "generations": 2, "top_n": 2}
    sections = [{"name": "verse", "bars": 2}, {"name": "chorus", "bars": 2}]
    path = make_proposal(time_signature=signature, evolution=tiny, sections=sections)
    proposal = load_proposal(path)
    form = make_form(sections=[("verse", 2), ("chorus", 2)], meter=proposal.meter, bpm=90)
    run = RunDir(tmp_path / "run")
    state = run_chords_phase(proposal=proposal, form=form, run=run)
    promote(
        run=run, phase="chords", approvals=dict(zip(form.labels, state["candidates"], strict=True))
    )
    for phase, run_phase in (
        ("drums", run_drums_phase),
        ("bass", run_bass_phase),
        ("melody", run_melody_phase),
    ):
        state = run_phase(proposal=proposal, form=form, run=run)
        promote(run=run, phase=phase, approvals={s: ids[0] for s, ids in state["sections"].items()})
        _approved_ends(run, phase, signature, bars={"verse": 2, "chorus": 2})


def test_interrupt_at_the_drums_gate_and_resume(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    sections = [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 2}]
    proposal = make_proposal(time_signature="7/8", evolution=SMALL, sections=sections)
    first = start_run(proposal_path=proposal, out_dir=tmp_path)
    assert first.status == "awaiting_review" and first.phase == "chords"
    run_dir = first.run_dir
    chord_ids = [f"chord_{i:03d}" for i in range(1, 4)]
    review = run_dir / "chords" / "review.yml"
    for cid, label in (("chord_003", "verse"), ("chord_001", "chorus")):
        set_decision(
            review,
            candidate_id=cid,
            status="approved",
            label=label,
            notes=None,
            known_ids=chord_ids,
        )
    second = resume_run(run_dir=run_dir)
    assert second.status == "awaiting_review" and second.phase == "drums"
    assert not (run_dir / "drums" / "approved").exists()
    drums_review = run_dir / "drums" / "review.yml"
    ids = [e["id"] for e in _review(run_dir, "drums")["candidates"]]
    assert ids == [f"{s}_{i:03d}" for s in ("verse", "chorus") for i in (1, 2, 3)]
    set_decision(
        drums_review, candidate_id="verse_002", status="approved", label="verse", notes=None,
        known_ids=ids,
    )  # fmt: skip
    third = resume_run(run_dir=run_dir)
    assert third.status == "awaiting_review" and third.phase == "bass"
    assert sorted(p.name for p in (run_dir / "drums" / "approved").glob("*.mid")) == ["verse.mid"]
    # The bass of the verse was built on the chords a person chose (chord_003), not the top one.
    run = RunDir(run_dir)
    verse = json.loads((run_dir / "chords" / "candidates" / "chord_003.json").read_text())
    assert json.loads(run.approved_data("chords", "verse").read_text()) == verse
    final = resume_run(run_dir=run_dir, auto_approve=True)
    assert final.status == "done"
    decisions = read_decisions(drums_review, known_ids=ids)
    assert [(d.candidate_id, d.label) for d in decisions if d.status == "approved"] == [
        ("verse_002", "verse")
    ]
    _approved_ends(run, "drums", "7/8", bars={"verse": 4})  # chorus drums: none approved
    for phase in ("bass", "melody"):
        _approved_ends(run, phase, "7/8", bars={"verse": 4, "chorus": 2})
    # 7/8 as 2+2+3 all the way down to the drum grid.
    genome = approved_drums(run, "verse")
    assert genome is not None and genome.grid.meter.groups == (2, 2, 3)


def test_tile_repeats_a_drum_pattern_to_the_section() -> None:
    meter = Meter(7, 8)
    rng = np.random.default_rng(1)
    drums = skeleton("rock", meter, 3, rng)
    tiled = tile(drums, 8)
    spb = drums.grid.steps_per_bar
    assert tiled.bars == 8
    for bar, source in ((3, 0), (5, 2), (7, 1)):
        shift = (bar - source) * spb
        assert tiled.bar_hits(bar) == tuple(h.moved(h.step + shift) for h in drums.bar_hits(source))
    assert len(tiled.hits) == 2 * len(drums.hits) + len(drums.bar_hits(0)) + len(drums.bar_hits(1))


def test_section_lyrics_by_header_or_in_order() -> None:
    labels = ["verse", "chorus"]
    assert section_lyrics(LYRICS, "chorus", labels) == ("come home, come home",)
    assert section_lyrics(LYRICS, "bridge", labels) == ()
    plain = "one line\ntwo line\nthree line\n"
    assert section_lyrics(plain, "verse", labels) == ("one line", "two line")
    assert section_lyrics(plain, "chorus", labels) == ("three line",)
    assert section_lyrics(None, "verse", labels) == ()


def test_eval_parts_names_a_missing_data_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    missing = tmp_path / "no-groove"
    result = CliRunner().invoke(app, ["eval", "parts", "--groove", str(missing)])
    assert result.exit_code == 2
    assert "--groove" in result.output and "no-groove" in result.output


def _evaluator_cases(count: int) -> list[tuple[Callable[[Any], list[Any]], list[Any]]]:
    """Every part's evaluator (theory alone) with ``count`` random genomes to score."""
    key, meter = Key(9, "minor"), Meter(6, 8)
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=4)
    rng = np.random.default_rng(2)
    chord_ops = ChordOps(key=key, meter=meter, bars=4, model=ChordTransitionModel.load())
    chords = [chord_ops.random(rng) for _ in range(count)]
    styles = ("rock", "sparse")
    drums = [skeleton(styles[i % 2], meter, 4, rng) for i in range(count)]
    kicks = kick_grid_onsets(drums[0])
    bass_eval = BassEvaluator(
        key=key, meter=meter, harmony=harmony, bars=4, weights=Weights(), kicks=kicks
    )
    bass_ops = BassOps(harmony=harmony, meter=meter, bars=4, kicks=kicks)
    voice = voice_for(["flute"])
    melody_eval = MelodyEvaluator(
        key=key, meter=meter, harmony=harmony, voice=voice, phrase_qn=12.0, weights=Weights()
    )
    melody_ops = MelodyOps(key=key, meter=meter, harmony=harmony, bars=4, voice=voice)
    return [
        (ChordEvaluator(ops=chord_ops, weights=Weights()), chords),
        (DrumEvaluator(meter=meter, weights=Weights(), bpm=90.0), drums),
        (bass_eval, [bass_ops.random(rng) for _ in range(count)]),
        (melody_eval, [melody_ops.random(rng) for _ in range(count)]),
    ]


def test_evaluators_survive_pickling_as_a_ray_executor_ships_them() -> None:
    for evaluator, genomes in _evaluator_cases(2):
        copy = pickle.loads(pickle.dumps(evaluator))
        if not isinstance(evaluator, ChordEvaluator):  # its chord model compares by identity
            assert copy == evaluator
        assert copy(genomes) == evaluator(genomes)


def test_a_candidate_scores_the_same_floats_in_any_batch() -> None:
    """In-process scoring takes a population in one batch, the Ray pool in batches of its
    batch size: every card (fitness, key verdict, each theory score) must be the same to the
    last bit, or near-ties rank differently and the runs part ways."""
    for evaluator, genomes in _evaluator_cases(12):
        whole = evaluator(genomes)
        for size in (1, 3, 5):
            cut = [card for i in range(0, 12, size) for card in evaluator(genomes[i : i + size])]
            assert cut == whole, (type(evaluator).__name__, size)


def test_transition_fills_and_entrance_crashes_follow_the_form() -> None:
    meter = Meter(3, 4)
    form = make_form(
        sections=[("intro", 2), ("verse", 4), ("verse", 4), ("outro", 2)], meter=meter, bpm=90
    )
    assert [leads_into_another(form, s) for s in ("intro", "verse", "outro")] == [True, True, False]
    assert [follows_another(form, s) for s in ("intro", "verse", "outro")] == [False, True, True]
    rng = np.random.default_rng(4)
    plain = section_seeds(meter=meter, bars=4, styles=["rock"], bank=(), transition=False, rng=rng)
    assert len(plain) == 1 and not has_fill(plain[0], 3)
    seeds = section_seeds(
        meter=meter, bars=4, styles=["rock"], bank=(), transition=True, entrance=True, rng=rng
    )
    assert len(seeds) == 2 and has_fill(seeds[1], 3)
    assert all(any(h.step == 0 and h.voice == CRASH for h in g.hits) for g in seeds)
