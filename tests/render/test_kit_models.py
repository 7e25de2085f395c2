"""Demucs from a local checkpoint, end to end through the kit build's loader (a tiny model built
here, saved in each format the loader reads); playing a kit; torch stays out of the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from music.notes import Note, Part
from render.kit.build import KitSettings, build_kit
from render.kit.errors import KitError
from render.kit.manifest import load_kit
from render.kit.play import KitPlayer, velocity_gain
from render.kit.separate import SeparationSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sonic-pi"
SOURCES = ["drums", "bass", "other", "vocals"]


def _tiny_demucs() -> object:
    import torch
    from demucs.demucs import Demucs

    torch.manual_seed(0)
    return Demucs(
        sources=SOURCES,
        audio_channels=2,
        channels=4,
        depth=2,
        segment=1,
        lstm_layers=0,
        resample=False,
        dconv_depth=1,
        dconv_comp=2,
    )


def _save_th(model: object, path: Path) -> Path:
    import torch
    from demucs.states import get_state

    args, kwargs = model._init_args_kwargs  # type: ignore[attr-defined]
    package = {
        "klass": type(model),
        "args": args,
        "kwargs": kwargs,
        "state": get_state(model, None, half=False),
        "training_args": {},
    }
    torch.save(package, str(path))
    return path


def _save_safetensors(model: object, path: Path) -> Path:
    from safetensors.torch import save_file

    args, kwargs = model._init_args_kwargs  # type: ignore[attr-defined]
    meta = {
        "klass": "demucs.demucs.Demucs",
        "args": json.dumps(list(args)),
        "kwargs": json.dumps(kwargs),
    }
    state = {k: v.contiguous() for k, v in model.state_dict().items()}  # type: ignore[attr-defined]
    save_file(state, str(path), metadata=meta)
    return path


def test_demucs_checkpoints_load_and_separate_like_the_model_itself(tmp_path: Path) -> None:
    import torch
    from demucs.apply import apply_model

    from render.kit.demucs_model import DemucsSeparator

    model = _tiny_demucs()
    audio = (np.random.default_rng(1).normal(size=(44100, 2)) * 0.1).astype(np.float32)
    wav = torch.from_numpy(audio.T.copy())
    ref = wav.mean(0)
    mean, std = float(ref.mean()), float(ref.std())
    with torch.no_grad():
        direct = (
            apply_model(
                model.eval(),
                ((wav - mean) / std)[None],
                shifts=0,
                split=True,  # type: ignore[attr-defined]
                overlap=0.25,
                device="cpu",
            )[0][0]
            * std
            + mean
        )
    bag = tmp_path / "bag"
    bag.mkdir()
    _save_safetensors(model, bag / "sig1.safetensors")
    (bag / "tiny.yaml").write_text("models: [sig1]\n")
    for checkpoint in (
        _save_th(model, tmp_path / "tiny.th"),
        _save_safetensors(model, tmp_path / "tiny.safetensors"),
        bag,
    ):
        sep = DemucsSeparator.load(checkpoint)
        drums = sep.drums(audio, 44100)
        assert drums.shape == audio.shape
        np.testing.assert_allclose(drums, direct.numpy().T, atol=1e-4)


def test_kit_build_runs_demucs_from_a_local_checkpoint_and_says_so(tmp_path: Path) -> None:
    checkpoint = _save_th(_tiny_demucs(), tmp_path / "tiny.th")
    settings = KitSettings(separation=SeparationSettings(demucs_checkpoint=checkpoint))
    result = build_kit([FIXTURES / "loop_industrial.flac"], tmp_path / "kit", settings=settings)
    sep = result.manifest.separation
    assert sep["method"] == "demucs" and sep["checkpoint"] == str(checkpoint)
    assert load_kit(tmp_path / "kit").manifest.separation["sources"] == SOURCES


def test_a_checkpoint_naming_another_class_is_refused_without_running_it(tmp_path: Path) -> None:
    import torch

    from render.kit.demucs_model import DemucsSeparator

    torch.save(
        {"klass": subprocess.Popen, "args": [], "kwargs": {}, "state": {}},
        str(tmp_path / "evil.th"),
    )
    with pytest.raises(KitError, match="not a readable Demucs checkpoint"):
        DemucsSeparator.load(tmp_path / "evil.th")
    with pytest.raises(KitError, match="no such Demucs checkpoint"):
        DemucsSeparator.load(tmp_path / "missing.th")
    with pytest.raises(KitError, match="no checkpoint"):
        SeparationSettings(method="demucs").resolved()


def test_importing_the_kit_build_and_player_does_not_import_torch() -> None:
    code = (
        "import sys, render.kit.build, render.kit.play, render.pipeline; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kit") / "kit"
    shots = [FIXTURES / f"{n}.flac" for n in ("bd_haus", "sn_dub", "drum_cymbal_closed")]
    build_kit(shots, folder, settings=KitSettings(separation=SeparationSettings(method="none")))
    return folder


def test_player_places_hits_at_note_times_with_micro_timing_and_velocity(kit: Path) -> None:
    k = load_kit(kit)
    notes = (
        Note(0.0, 0.1, 36, 127),
        Note(1.013, 1.1, 38, 64),
        Note(2.0, 2.1, 42, 100),
        Note(3.0, 3.1, 99, 100),
    )
    part = Part("drums", notes, is_drum=True)
    player = KitPlayer(k, pick="fixed")
    places = player.placements(part, 120.0, 48000)
    assert [p.frame for p in places] == [0, round(1.013 * 0.5 * 48000), 48000]
    assert [k.hit(p.hit_id).drum_class for p in places] == ["kick", "snare", "closed_hat"]
    assert places[1].gain == pytest.approx(velocity_gain(64)) == pytest.approx((64 / 127) ** 2)
    audio = player.render(part, 120.0, 48000, 2.0)
    assert audio.shape == (96000, 2)
    first = int(np.argmax(np.abs(audio[:, 0]) > 1e-4))
    assert first <= 2  # the kick starts on the first sample


def test_picks_round_robin_random_seeded_and_borrowing(kit: Path) -> None:
    k = load_kit(kit)
    pools = {"snare": {"core": ["snare_001"]}, "kick": {"core": ["kick_001"]}}
    k2 = type(k)(
        root=k.root,
        manifest=k.manifest,
        pools={**pools, "tom": {"fill": ["kick_001", "snare_001"]}},
    )
    part = Part("drums", tuple(Note(float(i), i + 0.1, 45, 100) for i in range(4)), is_drum=True)
    rr = [p.hit_id for p in KitPlayer(k2, pick="round_robin").placements(part, 120, 44100)]
    assert rr == ["kick_001", "snare_001", "kick_001", "snare_001"]
    r1 = [p.hit_id for p in KitPlayer(k2, pick="random", seed=3).placements(part, 120, 44100)]
    r2 = [p.hit_id for p in KitPlayer(k2, pick="random", seed=3).placements(part, 120, 44100)]
    assert r1 == r2
    crash = Part("drums", (Note(0.0, 0.1, 49, 100),), is_drum=True)  # no cymbal: borrows
    player = KitPlayer(k, pick="fixed")
    assert k.hit(player.placements(crash, 120, 44100)[0].hit_id).drum_class == "closed_hat"
    assert player.substituted == {"cymbal": "closed_hat"}
    with pytest.raises(ValueError, match="round_robin"):
        KitPlayer(k, pick="sometimes")  # type: ignore[arg-type]


def test_the_kits_roles_are_the_drum_generators() -> None:
    from generators.drums import grid
    from render.kit.classes import NOTE_ROLES, ROLES

    assert ROLES == grid.ROLES and NOTE_ROLES == grid.VOICE_ROLES
