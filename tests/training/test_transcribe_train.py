"""Training, export and the runtime of the transcription models, on a tiny rendered corpus
with the debug-sized model: the ONNX graph matches torch, its sidecar carries what the runtime
needs and the test figures, chunked inference equals one pass, and the CLI routes, writes MIDI
and refuses bad input with one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.app import app
from inference.onnx import ModelFileError
from music.midi_io import read_midi
from render.audio_io import READ_ALLOWED, read_audio, write_audio
from render.transcription import transcriber as runtime
from render.transcription.features import FEATURE_SPEC
from render.transcription.taxonomy import resolve_model
from render.transcription.transcriber import StemTranscriber, installed_models, transcribe_mix
from tests.training.transcribe_data import tiny_corpus
from training.transcribe.train import (
    FRAME_THRESHOLDS,
    MIN_NOTE_FRAMES,
    THRESHOLDS,
    TrainConfig,
    main,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("transcribe_train")
    corpus = tiny_corpus(root)
    models = root / "models"
    for stem in ("bass", "drums"):
        main(TrainConfig(corpus=corpus, stem=stem, out=models, epochs=2, batch_size=4, debug=True))
    return corpus, models


def test_export_writes_model_and_sidecar(trained: tuple[Path, Path]) -> None:
    _, models = trained
    assert set(installed_models(models)) == {"bass", "drums"}
    side = json.loads((models / "bass.json").read_text())
    assert side["stem"] == "bass" and side["kind"] == "pitched" and side["role"] == "melodic"
    assert (side["low"], side["high"], side["n_outputs"]) == (28, 67, 40)
    assert side["parity_max_abs"] <= 1e-4
    assert side["features"] == FEATURE_SPEC
    metrics = side["metrics"]
    assert metrics["test"]["clips"] == 2 and 0.0 <= metrics["test"]["onset"]["f1"] <= 1.0
    assert len(metrics["history"]) == 2
    drums = json.loads((models / "drums.json").read_text())
    assert drums["kind"] == "drums" and drums["n_outputs"] == 5
    assert set(drums["metrics"]["test"]["per_class"]) == {
        "kick",
        "snare",
        "toms",
        "hihat",
        "cymbal",
    }


def test_a_harmonic_stem_trains_and_routes_exactly(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, _ = trained
    main(TrainConfig(corpus=corpus, stem="strings_ensemble", out=tmp_path, epochs=1, debug=True))
    side = json.loads((tmp_path / "strings_ensemble.json").read_text())
    assert (side["role"], side["low"], side["high"], side["n_outputs"]) == ("harmonic", 28, 103, 76)
    assert side["metrics"]["test"]["ref_notes"] > 0
    models = installed_models(tmp_path)
    violin = resolve_model("violin", models)
    assert (violin.served_by, violin.via) == ("strings_ensemble", "exact")
    guitar = resolve_model("acoustic guitar (nylon)", models)
    assert (guitar.served_by, guitar.via) == ("strings_ensemble", "role")


def test_chunked_inference_equals_one_pass(
    trained: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = StemTranscriber.load(trained[1] / "bass.onnx")
    features = np.random.default_rng(0).normal(-3, 1, size=(300, 229)).astype(np.float32)
    whole = model.model.run({"features": features[None]})
    monkeypatch.setattr(runtime, "CHUNK_FRAMES", 64)
    onset, frame = model.posteriors(features)
    assert np.allclose(onset, whole["onset"][0], atol=1e-5)
    assert np.allclose(frame, whole["frame"][0], atol=1e-5)


def test_sidecar_with_other_features_is_refused(trained: tuple[Path, Path], tmp_path: Path) -> None:
    models = trained[1]
    (tmp_path / "bass.onnx").write_bytes((models / "bass.onnx").read_bytes())
    side = json.loads((models / "bass.json").read_text())
    side["features"] = {**side["features"], "hop": 512}
    (tmp_path / "bass.json").write_text(json.dumps(side))
    with pytest.raises(ModelFileError, match="features"):
        StemTranscriber.load(tmp_path / "bass.onnx")


def _clip(corpus: Path, tmp_path: Path) -> Path:
    song = sorted((corpus / "test").iterdir())[0]
    wav = tmp_path / "bass.wav"
    audio, sr = read_audio(song / "stems" / "bass.flac")
    write_audio(wav, audio, sr)
    return wav


def test_cli_transcribes_a_stem_and_auto(trained: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, models = trained
    wav = _clip(corpus, tmp_path)
    runner = CliRunner()
    one = runner.invoke(
        app,
        [
            "transcribe",
            str(wav),
            "--stem",
            "fretless bass",
            "--models",
            str(models),
            "--out",
            str(tmp_path / "a.mid"),
        ],
    )
    assert one.exit_code == 0, one.output
    assert "'fretless bass' (bass, melodic): the bass model" in " ".join(one.output.split())
    assert [p.name for p in read_midi(tmp_path / "a.mid").parts] == [
        "bass"
    ] or "bass: 0 notes" in one.output
    auto = runner.invoke(
        app, ["transcribe", str(wav), "--models", str(models), "--out", str(tmp_path / "b.mid")]
    )
    assert auto.exit_code == 0, auto.output
    assert "bass:" in auto.output and "drums:" in auto.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stem", "kazoo"], "stem: 'kazoo' -- one of bass"),
        (["--stem", "vocals"], "vocals has no model yet"),
    ],
)
def test_cli_refuses_bad_stem(
    trained: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    wav = _clip(trained[0], tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "transcribe",
            str(wav),
            *args,
            "--models",
            str(trained[1]),
            "--out",
            str(tmp_path / "x.mid"),
        ],
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_cli_refuses_non_audio(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    result = CliRunner().invoke(app, ["transcribe", str(bogus), "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "notes.wav: AUDIO: 'notes.wav'" in text and READ_ALLOWED in text


def test_train_config_refuses_vocals(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="stem: 'vocals'"):
        TrainConfig(corpus=tmp_path, stem="vocals", out=tmp_path)


def test_separated_drums_go_to_the_drum_model_and_the_rest_to_the_others(
    trained: tuple[Path, Path],
) -> None:
    corpus, models = trained
    song = sorted((corpus / "test").iterdir())[0]
    bass, _ = read_audio(song / "stems" / "bass.flac")
    kit, _ = read_audio(song / "stems" / "drums.flac")
    found = installed_models(models)
    mix = bass + kit
    parts = {p.name: p for p in transcribe_mix(mix, 16000, models=found, drums=kit)}
    alone = {p.name: p for p in transcribe_mix(mix - kit, 16000, models=found)}
    only_kit = {p.name: p for p in transcribe_mix(kit, 16000, models=found)}
    assert parts["bass"].notes == alone["bass"].notes
    assert parts["drums"].notes == only_kit["drums"].notes
    with pytest.raises(ValueError, match="drums: shape"):
        transcribe_mix(bass, 16000, models=found, drums=kit[:100])


def test_cli_train_renders_indexes_and_trains(tmp_path: Path) -> None:
    from tests.training.transcribe_data import write_groove, write_nottingham

    corpus = tmp_path / "corpus"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "transcribe",
            "--corpus",
            str(corpus),
            "--nottingham",
            str(write_nottingham(tmp_path / "nottingham")),
            "--groove",
            str(write_groove(tmp_path / "groove")),
            *("--billboard", str(tmp_path / "none"), "--bach", str(tmp_path / "none")),
            *("--openewld", str(tmp_path / "none")),
            "--songs",
            "4,1,1",
            "--stems",
            "bass",
            "--epochs",
            "1",
            "--debug",
            "--out",
            str(tmp_path / "models"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "bass: test note F1" in result.output
    assert "--billboard: " in result.output and "not drawn from" in result.output
    assert (corpus / "filtered_dataset_bass.json").is_file()
    assert (corpus / "dataset_high_percs.json").is_file()
    assert set(installed_models(tmp_path / "models")) == {"bass"}
    side = tmp_path / "models" / "bass.json"
    before = json.loads(side.read_text())
    before["onset_threshold"] = 0.99
    side.write_text(json.dumps(before))
    retuned = CliRunner().invoke(
        app,
        [
            *("train", "transcribe", "--corpus", str(corpus), "--stems", "bass", "--retune"),
            *("--out", str(tmp_path / "models")),
        ],
    )
    assert retuned.exit_code == 0, retuned.output
    after = json.loads(side.read_text())
    assert after["onset_threshold"] in THRESHOLDS
    assert after["frame_threshold"] in FRAME_THRESHOLDS and isinstance(after["frame_starts"], bool)
    assert after["min_frames"] in MIN_NOTE_FRAMES
    for field in ("onset_threshold", "frame_threshold", "frame_starts", "min_frames"):
        assert after["metrics"][field] == after[field]
    assert after["metrics"]["history"] == before["metrics"]["history"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stems", "bass,vocals"], "--stems: 'bass,vocals' -- comma-separated stems of bass"),
        (["--songs", "4,1"], "--songs: '4,1' -- three counts >= 1"),
    ],
)
def test_cli_train_refuses_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        app, ["train", "transcribe", "--corpus", str(tmp_path / "c"), *args]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_cli_trains_stems_in_parallel_as_one_at_a_time(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, _ = trained
    for jobs in (1, 2):
        result = CliRunner().invoke(
            app,
            [
                *("train", "transcribe", "--corpus", str(corpus), "--stems", "bass,drums"),
                *("--epochs", "2", "--debug", "--jobs", str(jobs)),
                *("--out", str(tmp_path / f"jobs{jobs}")),
            ],
        )
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].startswith("bass: test note F1") and lines[1].startswith("drums: test")
    for stem in ("bass", "drums"):
        one, two = tmp_path / "jobs1", tmp_path / "jobs2"
        assert (one / f"{stem}.onnx").read_bytes() == (two / f"{stem}.onnx").read_bytes()
        sides = [json.loads((folder / f"{stem}.json").read_text()) for folder in (one, two)]
        for side in sides:
            assert side["metrics"].pop("train_seconds") > 0
        assert sides[0] == sides[1]
