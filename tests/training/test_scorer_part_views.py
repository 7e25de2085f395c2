"""Part views (one part over the rest, text about that part), the part corpus, batches of one
kind, and a 2-channel model widened to read the part channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.text_encoder import TextEncoder
from training.scorer.corpus import load_corpora, load_corpus, merge_corpora
from training.scorer.model import ContrastiveScorer, ScorerConfig, save_state
from training.scorer.part_corpus import build_part_corpus
from training.scorer.part_views import Borrowed, all_views, view_text, views
from training.scorer.sources_common import Clip, ClipInfo
from training.scorer.train import kind_batches, warm_start

FOUR = Meter(4, 4)


def _info(song: str, style: tuple[str, ...] = ("pop",), **more: object) -> ClipInfo:
    fields = {"source": "t", "song_id": song, "key": Key(9, "minor"), "tempo_known": True}
    return ClipInfo(**{**fields, "style": style, "ensemble": (), **more})  # type: ignore[arg-type]


def _busy_chords() -> Part:
    return Part(
        "chords",
        tuple(Note(t * 0.5, t * 0.5 + 0.5, p, 80) for t in range(64) for p in (57, 60, 64)),
    )


def _bass(every: float) -> Part:
    n = int(32 / every)
    return Part("bass", tuple(Note(i * every, i * every + every, 33, 100) for i in range(n)))


def _groove(song: str = "g:1") -> Clip:
    drums = Part(
        "drums", tuple(Note(i * 0.5, i * 0.5 + 0.1, 42, 90) for i in range(64)), is_drum=True
    )
    return Clip((drums,), 100.0, FOUR, _info(song, ("funk",)))


def test_a_part_is_heard_over_the_parts_before_it() -> None:
    rng = np.random.default_rng(0)
    melody = Part("melody", tuple(Note(i * 1.0, i * 1.0 + 1.0, 72, 90) for i in range(32)))
    clip = Clip((melody, _busy_chords(), _bass(4.0)), 100.0, FOUR, _info("s:1"))
    got = {v.kind: v for v in views(clip, Borrowed(), rng)}
    assert set(got) == {"melody", "chords", "bass"}
    assert got["chords"].backdrop == ()
    assert [p.name for p in got["bass"].backdrop] == ["chords"]  # no groove to borrow
    assert sorted(p.name for p in got["melody"].backdrop) == ["bass", "chords"]
    # a chorale's inner voices accompany: the bass voice is heard over them, not the soprano
    satb = tuple(
        Part(name, tuple(Note(i * 2.0, i * 2.0 + 2.0, p, 80) for i in range(16)))
        for name, p in (("soprano", 72), ("alto", 67), ("tenor", 60), ("bass", 48))
    )
    chorale = {v.kind: v for v in views(Clip(satb, 100.0, FOUR, _info("b:1")), Borrowed(), rng)}
    assert set(chorale) == {"melody", "bass"}
    assert sorted(p.name for p in chorale["bass"].backdrop) == ["alto", "tenor"]


def test_a_lone_drum_part_borrows_chords_of_its_meter_and_split() -> None:
    rng = np.random.default_rng(0)
    song = Clip((_busy_chords(), _bass(1.0)), 100.0, FOUR, _info("s:2"))
    waltz = Clip((_busy_chords(),), 100.0, Meter(3, 4), _info("s:3"))
    out = list(all_views([_groove(), song, waltz], rng))
    drums = [v for v in out if v.kind == "drums"]
    assert len(drums) == 1 and out[-1] is drums[0]  # it waited for the chords
    (under,) = drums[0].backdrop
    assert under is song.parts[0]
    other_split = Clip(song.parts, 100.0, FOUR, song.info, split="test")
    lone = list(all_views([_groove(), other_split], rng))
    assert [v.backdrop for v in lone if v.kind == "drums"] == [()]  # none of its split


def test_the_text_describes_the_part_not_the_song() -> None:
    rng = np.random.default_rng(1)
    clip = Clip((_busy_chords(), _bass(4.0)), 100.0, FOUR, _info("s:4"))
    bass = next(v for v in views(clip, Borrowed(), rng) if v.kind == "bass")
    texts = [view_text(bass, np.random.default_rng(seed)) for seed in range(12)]
    tags = {t for _, t in texts}
    assert len(tags) == 1  # the same facts under every template
    (tag,) = tags
    assert tag.startswith("part=bass;") and "density=sparse" in tag  # the bass, not the chords
    assert "register=low" in tag  # A1 is low for a bass line
    assert all(any(w in text for w in ("bass line", "bass part", "bassline")) for text, _ in texts)
    busy = Clip((_busy_chords(), _bass(0.5)), 100.0, FOUR, _info("s:5"))
    busy_bass = next(v for v in views(busy, Borrowed(), rng) if v.kind == "bass")
    assert "density=busy" in view_text(busy_bass, rng)[1]


def test_kind_batches_hold_one_kind_each() -> None:
    kinds = np.array(["whole"] * 50 + ["bass"] * 40 + ["drums"] * 7)
    idx = np.arange(len(kinds), dtype=np.int64)
    batches = kind_batches(kinds, idx, 16, np.random.default_rng(0))
    assert len(batches) == 3 + 2  # 50 // 16 whole, 40 // 16 bass, no drums (fewer than 16)
    for b in batches:
        assert len(b) == 16 and len(set(kinds[b].tolist())) == 1
    assert sorted(kinds[b[0]] for b in batches) == ["bass", "bass", "whole", "whole", "whole"]


def test_a_widened_model_starts_as_the_old_one(tmp_path: Path) -> None:
    torch.manual_seed(0)
    old = ContrastiveScorer(ScorerConfig.debug())
    path = save_state(tmp_path / "old.npz", old, {"sidecar": {"heads": {"temperature": 0.04}}})
    new = ContrastiveScorer(ScorerConfig(roll_channels=3, conv_channels=(8, 16), hidden=16))
    warm_start(new, path)
    assert float(new.scale().detach()) == pytest.approx(25.0)
    old.eval()
    new.eval()
    roll = (torch.rand(4, 2, 128, 128) < 0.02).float()
    args = (torch.randn(4, 32), torch.zeros(4, 32), torch.zeros(4, 1))
    more = (torch.zeros(4, 384), torch.zeros(4, 1))
    with torch.no_grad():
        before = old.encoder(roll, *args, *more)
        own = torch.cat([roll, roll[:, :1] * 0.5], dim=1)  # any own channel: weights are zero
        after = new.encoder(own, *args, *more)
        derived = new.encoder(roll, *args, *more)  # 2 channels: the whole roll is its own
    torch.testing.assert_close(after, before)
    torch.testing.assert_close(derived, before)
    with torch.no_grad():  # once it learns, the part channel matters
        new.encoder.roll.convs[0].weight[:, 2].fill_(0.5)
        moved = new.encoder(own, *args, *more)
    assert (moved - before).abs().max() > 1e-4  # 100x the float noise of the equalities
    assert (moved - before).abs().max() > 100 * (after - before).abs().max()


def test_the_part_corpus_builds_and_merges(tmp_path: Path) -> None:
    from tests.training.test_scorer_corpus import _write_billboard, _write_groove

    data = tmp_path / "data"
    _write_billboard(data / "billboard")
    _write_groove(data / "groove-midi")
    out = tmp_path / "parts.npz"
    summary = build_part_corpus(
        data_dir=data,
        out=out,
        max_clips_per_source=3,
        max_views_per_kind=None,
        seed=7,
        sources=("billboard", "groove"),
        encoder=TextEncoder.load(),
    )
    # every view with its counterfactual: billboard's chart comped two ways and its bass in
    # two figures, each groove also thinned to its backbeat
    assert summary["per_kind"] == {"chords": 6, "drums": 6, "bass": 6, "melody": 0}
    parts = load_corpus(out)
    assert parts.rolls.shape == (18, 3, 128, 128) and parts.kinds is not None
    for i, kind in enumerate(parts.kinds):
        own, pitched = parts.rolls[i, 2], parts.rolls[i, 0]
        assert own.any() and str(parts.texts[i])
        if kind == "bass":  # the bass alone in its channel, the chords over it in the roll
            assert own[:48].any() and not own[52:].any() and pitched[52:].any()
        if kind == "drums":  # hits in its channel; borrowed chords (if any) only in the roll
            assert parts.rolls[i, 1].any() and not (own > 0)[pitched > 0].any()
    whole = load_corpus(out)  # any corpus; merged with a 2-channel one below
    two = type(whole)(
        **{
            **{k: getattr(whole, k) for k in whole.__dataclass_fields__},
            "rolls": whole.rolls[:, :2],
            "kinds": None,
        }
    )
    merged = merge_corpora([two, parts])
    assert merged.rolls.shape == (36, 3, 128, 128)
    assert merged.kinds is not None and list(merged.kinds[:18]) == ["whole"] * 18
    np.testing.assert_array_equal(
        merged.rolls[:18, 2], np.maximum(whole.rolls[:, 0], whole.rolls[:, 1])
    )
    assert load_corpora(out).rolls.shape == whole.rolls.shape  # no parts: the corpus alone
    doubled = load_corpora(out, out)  # what training and export read with --parts
    assert doubled.rolls.shape == (36, 3, 128, 128)
    assert list(doubled.kinds) == [*parts.kinds, *parts.kinds]


def test_bass_figures_follow_the_chart() -> None:
    from training.scorer.part_views import BASS_FIGURES, bass_figure, refigured
    from training.scorer.sources_common import ChordEvent

    chart = (
        ChordEvent(0.0, 4.0, 9, (0, 3, 7)),
        ChordEvent(4.0, 4.0, 5, (0, 4, 7)),
        ChordEvent(8.0, 4.0, 0, (0, 4, 7), bass=4),  # C/E: the slash bass
    )
    counts = {}
    for figure in BASS_FIGURES:
        part = bass_figure(chart, FOUR, figure=figure, low=28)
        counts[figure] = len(part.notes)
        first = [n for n in part.notes if n.start < 4.0]
        assert first and first[0].pitch == 33 and first[0].start == 0.0  # A1 on the change
        assert all(28 <= n.pitch <= 28 + 24 for n in part.notes)
        assert any(n.pitch % 12 == 4 for n in part.notes if n.start >= 8.0)  # E under C/E
        assert all(n.end > n.start for n in part.notes)
    assert counts["changes"] == 3 and counts["halves"] == 6 and counts["beats"] == 12
    assert counts["pedal"] == counts["octaves"] == 24
    with pytest.raises(ValueError, match="figure"):
        bass_figure(chart, FOUR, figure="walking", low=28)
    info = _info("b:1", source="billboard", chords=chart)
    clip = Clip((_busy_chords(), _bass(4.0)), 100.0, FOUR, info)
    rng = np.random.default_rng(3)
    bass = next(v for v in views(clip, Borrowed(), rng) if v.kind == "bass")
    lines = {tuple(v.focus.notes) for _ in range(6) for v in refigured(bass, rng)}
    assert len(lines) > 3  # the chart's bass is played in several figures and octaves
    pair = refigured(bass, rng, copies=2)
    assert len(pair) == 2 and pair[0].focus != pair[1].focus
    assert pair[0].backdrop == pair[1].backdrop == bass.backdrop  # only the bass differs
    chords = next(v for v in views(clip, Borrowed(), rng) if v.kind == "chords")
    assert refigured(chords, rng) == [chords]


def test_counterfactual_views_differ_only_in_the_part() -> None:
    from training.scorer.part_views import thinned, variants

    rng = np.random.default_rng(0)
    kit = Part(
        "drums",
        tuple(
            Note(i * 0.5, i * 0.5 + 0.1, p, 90)
            for i in range(64)
            for p in ((36, 42) if i % 4 == 0 else (38, 42) if i % 4 == 2 else (42,))
        ),
        is_drum=True,
    )
    backbeat = thinned(kit, FOUR)
    assert backbeat is not None
    assert [(n.start, n.pitch) for n in backbeat.notes][:3] == [(0.0, 36), (1.0, 38), (2.0, 36)]
    (drums,) = views(Clip((kit,), 100.0, FOUR, _info("g:2", ("funk",))), Borrowed(), rng)
    loose, tight = variants(drums, rng)
    assert loose is drums and tight.backdrop == drums.backdrop and tight.focus == backbeat
    texts = [view_text(v, np.random.default_rng(1))[1] for v in (loose, tight)]
    assert "density=moderate" in texts[0] and "density=sparse" in texts[1]
    hats = thinned(_groove().parts[0], FOUR)
    assert hats is None  # hi-hats alone: no backbeat to keep, no counterfactual
    on_beats = Part("bass", tuple(Note(float(i), i + 1.0, 33, 90) for i in range(8)))
    assert thinned(on_beats, FOUR) is None  # nothing to thin
    (plain,) = views(Clip((on_beats,), 100.0, FOUR, _info("s:9")), Borrowed(), rng)
    assert variants(plain, rng) == [plain]


def test_every_phase_feeds_a_three_channel_model_its_part(tmp_path: Path) -> None:
    """A model with the part channel, exported: the song's scorer hears a candidate's own
    notes in channel 2 over the parts underneath (as parts and as a note table), the
    export's parity holds with the channel, and the channel changes the scores."""
    from dataclasses import replace as dc_replace

    from evolution.fitness.chromatic import SongChromaticScorer
    from scoring.chromatic import ChromaticScorer
    from scoring.midi_features import features_over
    from scoring.note_arrays import Backdrop, NoteTable
    from tests.training.test_scorer_export import debug_sidecar
    from training.scorer.export import PARITY_TOLERANCE, export
    from training.scorer.graph import ScorerGraph
    from training.scorer.heads import ChromaticHeads

    torch.manual_seed(0)
    config = ScorerConfig(roll_channels=3, conv_channels=(8, 16), hidden=16)
    unit = torch.nn.functional.normalize
    prompts = unit(torch.randn(9, 384), dim=1), unit(torch.randn(9, 384), dim=1)
    heads = ChromaticHeads(*prompts, temperature=0.05)
    graph = ScorerGraph(config, heads, unit(torch.randn(32, 384), dim=1))
    graph.eval()
    result = export(graph, tmp_path / "parts.onnx", sidecar=debug_sidecar(graph))
    assert result.parity_max_abs_diff <= PARITY_TOLERANCE
    side = result.sidecar.read_text(encoding="utf-8")
    assert '"roll_channels": 3' in side and "the part being scored" in side
    scorer = ChromaticScorer.load(result.onnx, text_encoder=TextEncoder.load())
    assert scorer.roll_channels == 3
    song = SongChromaticScorer(
        concept="a dark and patient song",
        color="Indigo",
        bpm=90.0,
        meter=FOUR,
        model=str(result.onnx),
    )
    chords = _busy_chords()
    cands = [(_bass(4.0),), (_bass(1.0),), (_bass(0.5),)]
    got = [s.match for s in song.chromatic(cands, underneath=(chords,))]
    table = [s.match for s in song.chromatic_table(NoteTable.of(cands), underneath=(chords,))]
    assert got == table
    concept = scorer.prepare_concept("a dark and patient song")
    feats = [features_over(c, Backdrop.of((chords,)), bpm=90.0, meter=FOUR) for c in cands]
    assert all(f.own is not None for f in feats)
    direct = scorer.analyse_batch(feats, concept, color="Indigo").match
    np.testing.assert_allclose(got, direct, rtol=0, atol=1e-12)
    # the same rolls heard whole (no part channel given) score otherwise
    whole = [dc_replace(f, own=None) for f in feats]
    blind = scorer.analyse_batch(whole, concept, color="Indigo").match
    assert np.abs(np.asarray(direct) - blind).max() > 1e-6
