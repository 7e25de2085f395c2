"""Building kits: onsets and slices on drums rendered from known MIDI, the classifier on real
CC0 one-shots, bad files skipped and counted, near-duplicates kept once, same input same kit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mir_eval
import numpy as np
import pytest
import soundfile

from music.notes import Note, Part
from render.kit.audio import KIT_SAMPLE_RATE, read_clip
from render.kit.build import KitSettings, build_kit
from render.kit.classify import DrumClassifier
from render.kit.errors import KitError
from render.kit.features import hit_features
from render.kit.manifest import load_kit
from render.kit.onsets import detect_onsets, one_shot, slice_hits
from render.kit.separate import SeparationSettings
from render.synth import SAMPLE_RATE, shared_synthesizer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sonic-pi"
ONE_SHOTS = {
    "bd_haus": "kick",
    "sn_dub": "snare",
    "drum_cymbal_closed": "closed_hat",
    "drum_tom_mid_hard": "tom",
    "drum_cowbell": "perc",
}
NONE = KitSettings(separation=SeparationSettings(method="none"))


def groove(bars: int, bpm: float, seed: int) -> tuple[Part, np.ndarray]:
    """Kick, snare, closed and open hat, tom and crash hits an eighth apart, velocities 60..120,
    and the distinct onset times (seconds). One note per onset, so every note is a hit a
    detector can tell apart (the crash and open hat still ring when the next hit comes: a kick
    under them is the hit a whole-spectrum flux missed)."""
    rng = np.random.default_rng(seed)
    notes = []
    for e in range(bars * 8):
        q = e * 0.5
        if e % 4 == 0:
            pitch = 36
        elif rng.random() < 0.75:
            pitch = int(rng.choice([38, 42, 45, 46, 49]))
        else:
            continue
        notes.append(Note(q, q + 0.1, pitch, int(rng.integers(60, 121))))
    part = Part("drums", tuple(notes), is_drum=True)
    return part, np.unique([n.start * 60.0 / bpm for n in notes])


@pytest.mark.parametrize(("bpm", "seed"), [(90.0, 1), (120.0, 2), (160.0, 3)])
def test_onsets_of_rendered_drums_match_the_midi_and_slices_count_the_hits(
    bpm: float, seed: int
) -> None:
    part, reference = groove(16, bpm, seed)
    audio = shared_synthesizer().render_part(part, bpm)
    onsets = detect_onsets(audio.mean(axis=1), SAMPLE_RATE)
    f, precision, recall = mir_eval.onset.f_measure(reference, onsets, window=0.05)
    assert f >= 0.9, (f, precision, recall)
    hits = slice_hits(audio, SAMPLE_RATE, onsets, source=Path("groove.wav"))
    assert abs(len(hits) - len(reference)) <= 0.05 * len(reference)
    for h in hits:  # trimmed, faded and normalised to -1 dBFS
        assert abs(20 * np.log10(np.abs(h.audio).max()) + 1.0) < 0.05
        assert np.abs(h.audio[0]).max() < 1e-3 and np.abs(h.audio[-1]).max() < 1e-2


def test_a_kick_65_ms_after_a_loud_snare_is_an_onset() -> None:
    # The loud snare's flux peak raises the mean of the 100 ms around it by about the picking
    # threshold; against that mean the kick under its tail was lost. Against the median it is
    # found, and nothing else is.
    def clip(name: str) -> np.ndarray:
        return read_clip(FIXTURES / f"{name}.flac").audio.mean(axis=1)

    mix = np.zeros(2 * KIT_SAMPLE_RATE, dtype=np.float32)
    hits = [("drum_cymbal_closed", 0.2, 0.5), ("sn_dub", 0.5, 1.0), ("bd_haus", 0.565, 0.85)]
    for name, start, gain in [*hits, ("drum_cymbal_closed", 1.0, 0.5)]:
        x = clip(name)
        a = round(start * KIT_SAMPLE_RATE)
        n = min(x.size, mix.size - a)
        mix[a : a + n] += gain * x[:n]
    onsets = detect_onsets(mix, KIT_SAMPLE_RATE)
    _, precision, recall = mir_eval.onset.f_measure(
        np.array([0.2, 0.5, 0.565, 1.0]), onsets, window=0.05
    )
    assert (precision, recall) == (1.0, 1.0), onsets


def test_classifier_names_the_fixture_one_shots() -> None:
    model = DrumClassifier.load()
    found = {}
    for name in ONE_SHOTS:
        clip = read_clip(FIXTURES / f"{name}.flac")
        hit = one_shot(clip.audio, clip.sample_rate, source=clip.path)
        assert hit is not None
        found[name] = model.classify(hit_features(hit.mono(), clip.sample_rate)).drum_class
    assert sum(found[n] == c for n, c in ONE_SHOTS.items()) >= 4, found


def test_classifier_model_round_trips_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    model = DrumClassifier.load()
    x = np.random.default_rng(0).normal(size=(20, len(model.columns) + 1))
    again = DrumClassifier.load(model.save(tmp_path / "m.npz"))
    assert np.array_equal(model.predict_proba(x), again.predict_proba(x))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(KitError, match=r"bad\.npz"):
        DrumClassifier.load(bad)
    with np.load(tmp_path / "m.npz") as data:
        arrays = dict(data)
    arrays["left"] = np.where(arrays["left"] > 0, 0, arrays["left"])  # children loop back
    np.savez(tmp_path / "loop.npz", **arrays)
    with pytest.raises(KitError, match="loop"):
        DrumClassifier.load(tmp_path / "loop.npz")


def _write(path: Path, audio: np.ndarray, sr: int = KIT_SAMPLE_RATE) -> Path:
    soundfile.write(str(path), audio, sr)
    return path


def test_bad_files_are_skipped_and_counted_and_none_usable_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ONE_SHOTS:
        shutil.copy(FIXTURES / f"{name}.flac", src)
    (src / "broken.wav").write_bytes(b"RIFF\x00\x00garbage")
    _write(src / "silent.wav", np.zeros(44100, dtype=np.float32))
    _write(src / "short.wav", np.ones(100, dtype=np.float32) * 0.5)
    result = build_kit([src, tmp_path / "missing.wav"], tmp_path / "kit", settings=NONE)
    reasons = {r.file.name: r.reason for r in result.skipped}
    assert set(reasons) == {"broken.wav", "silent.wav", "short.wav", "missing.wav"}
    assert "unreadable" in reasons["broken.wav"] and "silent" in reasons["silent.wav"]
    assert "too short" in reasons["short.wav"]
    kit = load_kit(tmp_path / "kit")
    assert len(kit.manifest.hits) == len(ONE_SHOTS)
    assert {s["file"] for s in kit.manifest.skipped} == {str(r.file) for r in result.skipped}
    assert kit.manifest.separation["method"] == "none"
    for h in kit.manifest.hits:
        assert (kit.root / h.file).is_file() and h.source.file.endswith(".flac")
        assert set(h.features) >= {"centroid_oct", "decay_s", "energy_db"}
        assert 0 < h.confidence <= 1 and h.role in h.role_scores
    with pytest.raises(KitError, match="no usable drum audio"):
        build_kit([src / "broken.wav", src / "silent.wav"], tmp_path / "kit2", settings=NONE)
    assert not (tmp_path / "kit2").exists()


def test_same_sound_twice_is_kept_once_and_the_build_is_deterministic(tmp_path: Path) -> None:
    loop = FIXTURES / "loop_industrial.flac"
    louder = tmp_path / "louder.wav"
    audio, sr = soundfile.read(str(loop), dtype="float32")
    _write(louder, audio * 0.5, sr)
    once = build_kit([loop], tmp_path / "a", settings=NONE).manifest
    twice = build_kit([loop, louder], tmp_path / "b", settings=NONE).manifest
    assert len(twice.hits) == len(once.hits)
    assert sum(len(h.duplicates) for h in twice.hits) >= len(once.hits)
    again = build_kit([loop], tmp_path / "c", settings=NONE).manifest
    assert json.dumps(once.to_dict()) == json.dumps(again.to_dict())


def test_an_existing_kit_needs_replace_and_other_folders_are_refused(tmp_path: Path) -> None:
    shots = [FIXTURES / f"{n}.flac" for n in ONE_SHOTS]
    build_kit(shots, tmp_path / "kit", settings=NONE)
    with pytest.raises(KitError, match="--replace"):
        build_kit(shots[:2], tmp_path / "kit", settings=NONE)
    assert len(load_kit(tmp_path / "kit").manifest.hits) == len(shots)
    build_kit(shots[:2], tmp_path / "kit", settings=NONE, replace=True)
    assert len(load_kit(tmp_path / "kit").manifest.hits) == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(KitError, match="no kit"):
        build_kit(shots, other, settings=NONE, replace=True)
    assert (other / "notes.txt").read_text() == "mine"


def test_a_broken_kit_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="no such folder"):
        load_kit(tmp_path / "nope")
    build_kit([FIXTURES / "bd_haus.flac"], tmp_path / "kit", settings=NONE)
    manifest = tmp_path / "kit" / "kit_manifest.json"
    data = json.loads(manifest.read_text())
    data["hits"][0]["file"] = "../../etc/passwd"
    manifest.write_text(json.dumps(data))
    with pytest.raises(KitError, match=r"hits\[0\]\.file.*inside the kit"):
        load_kit(tmp_path / "kit")
    data["hits"][0]["file"] = "hits/kick_001.wav"
    data["hits"][0]["class"] = "cowbell"
    manifest.write_text(json.dumps(data))
    with pytest.raises(KitError, match=r"hits\[0\]\.class: 'cowbell' -- one of kick"):
        load_kit(tmp_path / "kit")
