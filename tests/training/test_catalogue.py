"""A labelled catalogue (built here: MIDI via music.midi_io, a recording, concepts, colors)
trains the supervised chromatic heads through ``train_catalogue`` -- the function behind
``chromatic train scorer --dataset DIR`` -- and bad catalogue entries give clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from render.audio_io import READ_SUFFIXES
from scoring.chromatic import ChromaticScorer
from scoring.chromatic_match import color_agreement
from scoring.colors import target_vector
from scoring.text_encoder import TextEncoder
from tests.render.test_audio_read import write_tone
from training.scorer.catalogue import CatalogueError, load_catalogue, window_offsets
from training.scorer.graph import ScorerGraph, load_graph
from training.scorer.heads import ChromaticHeads, mode_embeddings
from training.scorer.model import ScorerConfig, save_state
from training.scorer.supervised import build_examples, shipped_weights, train_catalogue


def _song(low: bool, seed: int, bars: int = 8) -> Song:
    """Low sustained minor chords, or high busy major ones."""
    rng = np.random.default_rng(seed)
    notes = []
    for bar in range(bars):
        root = int(rng.integers(0, 12))
        if low:
            for p in (36 + root, 39 + root, 43 + root):
                notes.append(Note(bar * 4.0, bar * 4.0 + 4.0, p, 50))
        else:
            for k in range(8):
                t = bar * 4.0 + k * 0.5
                notes.extend(Note(t, t + 0.4, p, 100) for p in (72 + root, 76 + root, 79 + root))
    return Song(parts=(Part("keys", tuple(notes)),), bpm=70.0 if low else 140.0, meter=Meter(4, 4))


def build_catalogue(root: Path) -> Path:
    """Six tracks: three low/minor Green ones, three high/major Yellow ones; one Yellow track
    also has a recording, one Green track has lyrics."""
    (root / "midi").mkdir(parents=True)
    (root / "audio").mkdir()
    tracks = []
    for i in range(6):
        low = i % 2 == 0
        write_midi(_song(low, seed=i), root / "midi" / f"t{i}.mid")
        entry = {
            "id": f"t{i}",
            "midi": f"midi/t{i}.mid",
            "concept": (
                "a slow dark song about the flooded town"
                if low
                else "a bright quick song about the morning market"
            )
            + f" number {i}",
            "color": "green" if low else "Yellow",
        }
        tracks.append(entry)
    sr = 22050
    t = np.arange(sr) / sr
    sf.write(root / "audio" / "t1.wav", (0.3 * np.sin(2 * np.pi * 880 * t)).astype(np.float32), sr)
    tracks[1]["audio"] = "audio/t1.wav"
    tracks[0]["lyrics"] = "the water rose over the church and the bells went quiet"
    write_yaml(root / "catalogue.yml", {"name": "test catalogue", "tracks": tracks})
    return root


def write_yaml(path: Path, data: object) -> None:
    from ruamel.yaml import YAML

    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe", pure=True).dump(data, fh)


def debug_base(path: Path, text: TextEncoder) -> Path:
    """A debug-sized scorer graph saved the way export saves weights (zero-shot mode heads)."""
    torch.manual_seed(0)
    config = ScorerConfig.debug()
    desc = torch.nn.functional.normalize(torch.randn(9, 384), dim=1)
    heads = ChromaticHeads(desc, torch.from_numpy(mode_embeddings(text)), temperature=0.1)
    reference = torch.nn.functional.normalize(torch.randn(16, 384), dim=1)
    graph = ScorerGraph(config, heads, reference)
    sidecar = {
        "version": "debug",
        "calibration": {"weights": {"concept": 1.0, "color": 1.0}},
        "modalities": {"audio": 0, "lyrics": 0},
        "training_data": {"clips": 0},
    }
    return save_state(
        path,
        graph,
        {"kind": "chromatic-scorer-graph", "config": config.to_dict(), "sidecar": sidecar},
    )


@pytest.fixture(scope="module")
def text() -> TextEncoder:
    return TextEncoder.load()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, text: TextEncoder) -> tuple[Path, object]:
    root = build_catalogue(tmp_path_factory.mktemp("catalogue"))
    base = debug_base(tmp_path_factory.mktemp("base") / "base.npz", text)
    out = tmp_path_factory.mktemp("model") / "supervised.onnx"
    result = train_catalogue(root, out=out, base=base, steps=150, text_encoder=text, threads=1)
    return root, result


def test_catalogue_loads_with_absolute_paths(trained: tuple[Path, object]) -> None:
    root, _ = trained
    cat = load_catalogue(root)
    assert cat.name == "test catalogue"
    assert [t.color for t in cat.tracks] == ["Green", "Yellow"] * 3
    assert cat.tracks[1].audio is not None and cat.tracks[1].audio.is_file()
    assert cat.tracks[0].lyrics is not None
    assert cat.summary()["with_audio"] == 1


def test_training_fits_the_labels_and_exports_a_supervised_model(
    trained: tuple[Path, object], text: TextEncoder
) -> None:
    root, result = trained
    assert result.final_loss < result.initial_loss - 0.1  # type: ignore[attr-defined]
    onnx = result.export.onnx  # type: ignore[attr-defined]
    side = json.loads(onnx.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["heads"]["mode"] == "supervised"
    assert side["modalities"]["audio"] == 1  # the recording trained the audio branch
    assert side["training_data"]["catalogue"]["tracks"] == 6
    scorer = ChromaticScorer.load(onnx, text_encoder=text)
    assert scorer.use_audio
    from scoring.midi_features import features_from_midi_file

    feats = [features_from_midi_file(root / "midi" / f"t{i}.mid") for i in range(6)]
    s = scorer.analyse_batch(feats, "a song about a town and its market", color="Green")
    green = color_agreement(s.temporal, s.spatial, s.ontological, target_vector("Green"))
    yellow = color_agreement(s.temporal, s.spatial, s.ontological, target_vector("Yellow"))
    # The supervised heads learned the labels: Green tracks agree more with Green, and
    # Yellow tracks more with Yellow.
    assert np.all((green - yellow)[0::2] > 0)
    assert np.all((yellow - green)[1::2] > 0)


def test_supervised_heads_differ_from_the_base(trained: tuple[Path, object]) -> None:
    _, result = trained
    graph, _ = load_graph(result.export.weights)  # type: ignore[attr-defined]
    assert graph.heads.is_supervised()


def test_shipped_weights_are_a_valid_base() -> None:
    graph, meta = load_graph(shipped_weights())
    assert meta["sidecar"]["format"] == "chromatic-scorer"
    assert not graph.heads.is_supervised()


@pytest.mark.parametrize(
    ("change", "field", "text_in_message"),
    [
        ({"color": "purple"}, "tracks[0].color", "one of Red"),
        ({"color": None}, "tracks[0].color", "one of Red"),
        ({"concept": "flood"}, "tracks[0].concept", "at least 3 words"),
        ({"midi": "midi/missing.mid"}, "tracks[0].midi", "an existing MIDI file"),
        ({"midi": "midi/t0.txt"}, "tracks[0].midi", "a MIDI file ending in .mid"),
        (
            {"audio": "midi/t0.txt"},
            "tracks[0].audio",
            f"an audio file ending in {', '.join(READ_SUFFIXES)}",
        ),
        (
            {"stems": {"bass": "midi/t0.txt"}},
            "tracks[0].stems.bass",
            f"an audio file ending in {', '.join(READ_SUFFIXES)}",
        ),
        ({"midi": None}, "tracks[0].midi", "at least one"),
        ({"tempo": 90}, "tracks[0].tempo", "only the fields"),
        ({"id": "t0"}, "tracks[1].id", "unique id"),
        ({"lyrics": 42}, "tracks[0].lyrics", "lyrics as text"),
    ],
)
def test_bad_entries_name_the_field(
    tmp_path: Path, change: dict[str, object], field: str, text_in_message: str
) -> None:
    (tmp_path / "midi").mkdir()
    for i in range(2):
        write_midi(_song(True, seed=i, bars=2), tmp_path / "midi" / f"t{i}.mid")
    (tmp_path / "midi" / "t0.txt").write_text("not midi", encoding="utf-8")
    tracks: list[dict[str, object]] = [
        {
            "id": f"t{i}",
            "midi": f"midi/t{i}.mid",
            "concept": "a slow song about rain",
            "color": "Blue",
        }
        for i in range(2)
    ]
    if field.startswith("tracks[1]"):
        tracks[1].update(change)
    else:
        tracks[0].update(change)
        tracks[0] = {k: v for k, v in tracks[0].items() if v is not None}
    write_yaml(tmp_path / "catalogue.yml", {"tracks": tracks})
    with pytest.raises(CatalogueError) as info:
        load_catalogue(tmp_path)
    assert info.value.field == field
    assert text_in_message in str(info.value)
    assert "catalogue.yml" in str(info.value)


def test_recordings_in_every_readable_format_join_the_audio_branch(
    tmp_path: Path, text: TextEncoder
) -> None:
    """A track per ending of READ_SUFFIXES (MP3 and AIFF too) with a recording of its own: the
    catalogue loads and each recording's audio features are read (the audio mask set)."""
    (tmp_path / "midi").mkdir()
    (tmp_path / "audio").mkdir()
    tracks = []
    for i, suffix in enumerate(READ_SUFFIXES):
        write_midi(_song(i % 2 == 0, seed=i, bars=2), tmp_path / "midi" / f"t{i}.mid")
        write_tone(tmp_path / "audio" / f"t{i}{suffix}")
        tracks.append(
            {
                "midi": f"midi/t{i}.mid",
                "audio": f"audio/t{i}{suffix}",
                "concept": "a slow song about rain",
                "color": "Blue",
            }
        )
    write_yaml(tmp_path / "catalogue.yml", {"tracks": tracks})
    cat = load_catalogue(tmp_path)
    assert [t.audio.suffix for t in cat.tracks if t.audio] == list(READ_SUFFIXES)
    examples = build_examples(cat, text, np.zeros(32, np.float32))
    assert set(examples.track.tolist()) == set(range(len(READ_SUFFIXES)))
    assert np.all(examples.audio_mask == 1.0)
    assert np.all(np.isfinite(examples.audio)) and np.all(np.abs(examples.audio).sum(axis=1) > 0)


def test_folder_level_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"a folder holding catalogue\.yml"):
        load_catalogue(tmp_path / "nowhere")
    with pytest.raises(CatalogueError, match="listing the tracks"):
        load_catalogue(tmp_path)
    (tmp_path / "catalogue.yml").write_text("tracks: [\n  - {id: a", encoding="utf-8")
    with pytest.raises(CatalogueError, match="line"):
        load_catalogue(tmp_path)
    write_yaml(tmp_path / "catalogue.yml", {"tracks": []})
    with pytest.raises(CatalogueError, match="at least 2"):
        load_catalogue(tmp_path)


def test_a_note_less_midi_file_is_reported_at_training(tmp_path: Path, text: TextEncoder) -> None:
    (tmp_path / "midi").mkdir()
    write_midi(_song(True, seed=0, bars=2), tmp_path / "midi" / "good.mid")
    write_midi(
        Song(parts=(Part("empty", ()),), bpm=90.0, meter=Meter(4, 4)),
        tmp_path / "midi" / "empty.mid",
    )
    write_yaml(
        tmp_path / "catalogue.yml",
        {
            "tracks": [
                {"midi": "midi/good.mid", "concept": "a slow song about rain", "color": "Blue"},
                {"midi": "midi/empty.mid", "concept": "a quick song about sun", "color": "Red"},
            ]
        },
    )
    base = debug_base(tmp_path / "base.npz", text)
    with pytest.raises(MidiFileError) as info:
        train_catalogue(tmp_path, out=tmp_path / "m.onnx", base=base, text_encoder=text, steps=1)
    assert "empty.mid" in str(info.value)


def test_window_offsets_spread_over_long_songs() -> None:
    assert window_offsets(20.0, window_qn=32.0, bar_qn=4.0, max_windows=4) == [0.0]
    starts = window_offsets(200.0, window_qn=32.0, bar_qn=4.0, max_windows=4)
    assert len(starts) == 4 and starts[0] == 0.0 and starts[-1] == 168.0
    assert all(s % 4.0 == 0 for s in starts)


def test_cli_train_scorer_on_a_catalogue(tmp_path: Path, text: TextEncoder) -> None:
    """``chromatic train scorer --dataset DIR`` through the real CLI: a supervised model that
    the runtime scorer opens, and that CHROMATIC_SCORER can name."""
    from typer.testing import CliRunner

    from cli.app import app

    root = build_catalogue(tmp_path / "catalogue")
    base = debug_base(tmp_path / "base.npz", text)
    out = tmp_path / "model" / "mine.onnx"
    args = ["train", "scorer", "--dataset", str(root), "--base", str(base), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--steps", "60"])
    assert result.exit_code == 0, result.output
    assert "6 tracks" in result.output and f"CHROMATIC_SCORER={out}" in result.output
    side = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["heads"]["mode"] == "supervised"
    assert side["training_data"]["catalogue"]["tracks"] == 6
    scorer = ChromaticScorer.load(out, text_encoder=text)
    from scoring.midi_features import features_from_midi_file

    s = scorer.analyse_batch(
        [features_from_midi_file(root / "midi" / "t0.mid")], "a slow song of rain", color="Green"
    )
    assert 0.0 < float(s.match[0]) < 1.0


def test_cli_train_scorer_reports_a_bad_catalogue(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    root = build_catalogue(tmp_path / "catalogue")
    data = (root / "catalogue.yml").read_text(encoding="utf-8")
    (root / "catalogue.yml").write_text(data.replace("Yellow", "Mauve", 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "scorer", "--dataset", str(root)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "catalogue.yml" in message and "tracks[1].color" in message and "Mauve" in message
    assert "Traceback" not in result.output


def test_cli_train_scorer_names_an_audio_file_of_another_format(tmp_path: Path) -> None:
    """A recording in a format no decoder here reads is one line naming the catalogue, the
    field, the path and every ending allowed."""
    from typer.testing import CliRunner

    from cli.app import app

    root = build_catalogue(tmp_path / "catalogue")
    (root / "audio" / "t1.caf").write_bytes((root / "audio" / "t1.wav").read_bytes())
    data = (root / "catalogue.yml").read_text(encoding="utf-8")
    (root / "catalogue.yml").write_text(data.replace("t1.wav", "t1.caf"), encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "scorer", "--dataset", str(root)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    allowed = f"an audio file ending in {', '.join(READ_SUFFIXES)}"
    assert f"catalogue.yml: tracks[1].audio: 'audio/t1.caf' -- {allowed}" in message
    assert "Traceback" not in result.output
