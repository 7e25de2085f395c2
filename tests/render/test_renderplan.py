"""RenderPlan: JSON round trips, the default rules, and the seed's training pipeline on a small
dataset rendered in the test (linear baseline and MLP must beat a constant)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import bass_phrase, chords_phrase, drums_phrase, melody_phrase

from music.meter import Meter, bars_to_seconds
from music.midi_io import Song
from music.notes import Note, Part
from render.analysis import Analysis, Features, Window, analyze_stems
from render.renderplan import COLOR_RULES, FxSettings, RenderPlan, WindowPlan, default_plan
from render.renderplan_model import (
    FEATURE_NAMES,
    RenderPlanModel,
    predict_renderplan,
    window_features,
)
from render.stem_files import write_stems
from render.synth import shared_synthesizer
from training.renderplan.dataset import build_dataset, find_tracks, read_rows
from training.renderplan.model import MlpConfig
from training.renderplan.train import train_renderplan

SECTIONS = [("intro", 2), ("verse", 2), ("chorus", 2), ("outro", 2)]
PLAYS = {  # which parts play in which section: the energy differs from section to section
    "intro": {"chords"},
    "verse": {"chords", "bass"},
    "chorus": {"chords", "bass", "drums", "melody"},
    "outro": {"chords", "melody"},
}


def _flat_analysis(levels: list[float], sections: list[tuple[str, int]]) -> Analysis:
    names = [n for n, b in sections for _ in range(b)]
    windows = tuple(
        Window(i, i * 2.0, i * 2.0 + 2.0, names[i], Features(10 ** (db / 20), db, 2.0, 1500.0), ())
        for i, db in enumerate(levels)
    )
    return Analysis.from_dict(
        {"tempo": {"bpm": 120, "meter": "4/4"}, **Analysis(120.0, "4/4", windows, ()).to_dict()}
    )


def test_plan_round_trips_through_json(tmp_path: Path) -> None:
    plan = default_plan(
        _flat_analysis([-30, -20, -10], [("a", 1), ("b", 2)]), color="Indigo", mood=["dreamy"]
    )
    loaded = RenderPlan.load(plan.save(tmp_path / "render_plan.json"))
    assert loaded == plan


def test_a_seed_style_plan_applies_to_every_part() -> None:
    seed_plan = {
        "windows": [
            {
                "start": 0,
                "end": 2,
                "sampleInfluence": 0.2,
                "styleInfluence": 0.4,
                "weirdness": 0.1,
                "fx": {"chorus": 0.3, "sat": 0.5, "reverbSend": 0.2, "comp": 0.6},
            }
        ]
    }
    plan = RenderPlan.from_dict(seed_plan)
    assert plan.windows[0].fx_for("bass") == FxSettings(0.3, 0.5, 0.2, 0.6)
    assert plan.windows[0].fx_for("melody") == FxSettings(0.3, 0.5, 0.2, 0.6)


def test_default_plan_follows_color_and_section_energy() -> None:
    analysis = _flat_analysis([-30, -30, -8, -8], [("verse", 2), ("chorus", 2)])

    def first(color: str, mood: tuple[str, ...] = ()) -> WindowPlan:
        return default_plan(analysis, color=color, mood=mood, parts=["chords", "bass"]).windows[0]

    assert first("Orange").fx_for("chords").sat == max(
        first(c).fx_for("chords").sat for c in COLOR_RULES
    )
    assert first("Yellow").fx_for("chords").chorus == max(
        first(c).fx_for("chords").chorus for c in COLOR_RULES
    )
    assert (
        first("Green").fx_for("chords").reverb_send > first("Orange").fx_for("chords").reverb_send
    )
    dark = default_plan(analysis, color="Black")
    assert dark.tone < 0 < default_plan(analysis, color="Yellow").tone
    assert (
        default_plan(analysis, color="Blue", mood=["dark"]).tone
        < default_plan(analysis, color="Blue").tone
    )
    plan = default_plan(analysis, color="Red", parts=["chords", "bass"])
    quiet, loud = plan.windows[0].fx_for("chords"), plan.windows[3].fx_for("chords")
    assert loud.sat > quiet.sat and loud.comp > quiet.comp and loud.reverb_send < quiet.reverb_send
    assert plan.windows[0].fx_for("bass").reverb_send < quiet.reverb_send  # bass stays dry


def _write_track(root: Path, tid: str, seed: int) -> None:
    meter = Meter(4, 4)
    bars = sum(b for _, b in SECTIONS)
    rng = np.random.default_rng(seed)
    full = {
        "chords": chords_phrase(meter, bars, root=60 + int(rng.integers(-3, 4))),
        "bass": bass_phrase(meter, bars),
        "drums": drums_phrase(meter, bars),
        "melody": melody_phrase(meter, bars, seed=seed),
    }
    section_of_bar = [name for name, b in SECTIONS for _ in range(b)]
    gain = float(rng.uniform(0.6, 1.0))
    parts = []
    for name, part in full.items():
        keep = tuple(
            Note(n.start, n.end, n.pitch, max(1, int(n.velocity * gain)))
            for n in part.notes
            if name in PLAYS[section_of_bar[int(n.start // meter.bar_qn)]]
        )
        parts.append(Part(name, keep, program=part.program, is_drum=part.is_drum))
    bpm = float(rng.choice([140.0, 160.0, 180.0]))
    song = Song(tuple(parts), bpm, meter)
    folder = root / "tracks" / tid
    seconds = bars_to_seconds(meter, bars, bpm)
    stems = write_stems(song, folder / "stems", shared_synthesizer(), seconds=seconds, tail_s=0.0)
    (folder / "metadata").mkdir(parents=True)
    tempo = {"bpm": bpm, "meter": "4/4", "sections": [{"name": n, "bars": b} for n, b in SECTIONS]}
    (folder / "metadata" / "tempo.json").write_text(json.dumps(tempo))
    analysis = analyze_stems(
        stems.audio, stems.sample_rate, bpm=bpm, meter=meter, sections=SECTIONS
    )
    default_plan(analysis, color="Orange").save(folder / "render_plan.json")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("renderplan")
    for i in range(6):
        _write_track(root, f"track-{i:03d}", seed=i)
    return root


def test_dataset_rows_hold_tempo_analysis_and_target(dataset: Path) -> None:
    rows = read_rows(build_dataset(dataset))
    assert [r["id"] for r in rows] == [f"track-{i:03d}" for i in range(6)]
    row = rows[0]
    assert set(row) == {"id", "tempo", "analysis", "target"}
    assert len(row["analysis"]["windows"]) == 8
    assert [s["name"] for s in row["analysis"]["sections"]] == [n for n, _ in SECTIONS]
    chorus = row["analysis"]["sections"][2]
    intro = row["analysis"]["sections"][0]
    assert chorus["energyDb"] > intro["energyDb"] and chorus["density"] > intro["density"]
    drums_in_intro = row["analysis"]["windows"][0]["stems"]["drums"]
    assert drums_in_intro["energyDb"] < -60  # the drums stem is silent there


def test_manifest_paths_override_the_layout(tmp_path: Path) -> None:
    (tmp_path / "manifest.jsonl").write_text(
        json.dumps({"id": "x", "stems": "elsewhere/stems", "render_plan": "/abs/plan.json"}) + "\n"
    )
    (track,) = find_tracks(tmp_path)
    assert track.stems == tmp_path / "elsewhere" / "stems"
    assert track.render_plan == Path("/abs/plan.json")
    assert track.tempo == tmp_path / "tracks" / "x" / "metadata" / "tempo.json"


def test_training_beats_a_constant_and_predicts_a_plan(dataset: Path, tmp_path: Path) -> None:
    report = train_renderplan(
        dataset, tmp_path / "model", config=MlpConfig(layers=2, width=16, epochs=300)
    )
    assert report.extra["held_out"] and report.tracks_eval >= 1
    assert report.mse["linear"] < 0.5 * report.mse["constant"], report.mse
    assert report.mse["mlp"] < 0.5 * report.mse["constant"], report.mse
    row = read_rows(dataset / "plan_dataset.jsonl")[3]  # a held-out track
    analysis_path = tmp_path / "analysis.json"
    analysis_path.write_text(json.dumps(row["analysis"]))
    for model_path in (report.linear, report.mlp):
        plan = predict_renderplan(model_path, analysis_path)
        assert len(plan.windows) == 8
        target = RenderPlan.from_dict(row["target"])
        sat = [w.fx_for("chords").sat for w in plan.windows]
        want = [w.fx_for("chords").sat for w in target.windows]
        assert np.corrcoef(sat, want)[0, 1] > 0.8  # louder sections get more saturation


def test_mlp_export_matches_torch() -> None:
    import torch

    from training.renderplan.model import PlanMlp, export_mlp

    torch.manual_seed(0)
    net = PlanMlp(MlpConfig(layers=2, width=16))
    x = np.random.default_rng(0).standard_normal((5, len(FEATURE_NAMES)))
    runtime = export_mlp(net, np.zeros(len(FEATURE_NAMES)), np.ones(len(FEATURE_NAMES)))
    with torch.no_grad():
        expected = net(torch.tensor(x, dtype=torch.float32)).numpy().clip(0, 1)
    np.testing.assert_allclose(runtime.predict(x), expected, atol=1e-5)
    assert RenderPlanModel.from_dict(runtime.to_dict()).predict(x) == pytest.approx(
        runtime.predict(x)
    )


def test_features_have_a_fixed_shape_whatever_the_stems() -> None:
    analysis = _flat_analysis([-30, -20], [("a", 2)])
    assert window_features(analysis).shape == (2, len(FEATURE_NAMES))
