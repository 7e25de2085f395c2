"""Labelled drum one-shots for the kit classifier, played from a General MIDI SoundFont.

Every drum kit of the SoundFont's percussion bank (FluidR3 GM has Standard, Room, Power,
Electronic, TR-808, Jazz, Brush and Orchestra among its 31 presets) plays every drum note
of :data:`NOTES` at a few velocities, each also tuned down and up and gated short
(:func:`variants`); the note's General MIDI meaning is its class
(:data:`render.kit.classes.GM_CLASS`). A note a kit leaves silent is skipped. Each one-shot
is cut and measured exactly as the kit build cuts and measures hits
(:func:`render.kit.onsets.one_shot`, :func:`render.kit.features.hit_features`), so the
classifier learns on what it will see.

The shipped model is trained on FluidR3 GM (MIT; Debian ``fluid-soundfont-gm``) and Csound's
``sf_GMbank.sf2`` (public domain; Debian ``csound-soundfont``): recordings of real drums and
drum machines; and on the ``dev`` half of Sonic Pi's CC0 one-shots
(:mod:`training.kitclass.labels`), each also tuned, shifted and with noise added
(:func:`augmented`). The ``held_out`` half is never trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from render.backends import open_engine
from render.kit.audio import KIT_SAMPLE_RATE
from render.kit.classes import GM_CLASS, DrumClass
from render.kit.features import FEATURE_NAMES, feature_vector, hit_features
from render.kit.onsets import one_shot
from render.soundfont import resolve_soundfont

logger = logging.getLogger(__name__)

#: Drum-bank presets to play (kits a SoundFont lacks are skipped).
KITS: Final = (0, 8, 16, 24, 25, 32, 40, 48)
VELOCITIES: Final = (50, 85, 120)
#: Notes left out: sound effects, clicks and metronome (27..34), the vibraslap (58), whistles
#: and guiros (71..74), the cuica (78, 79) and the surdos (86, 87), none of them a drum of one
#: class.
LEFT_OUT_NOTES: Final = frozenset({*range(27, 35), 58, 71, 72, 73, 74, 78, 79, 86, 87})
NOTES: Final = tuple(n for n in sorted(GM_CLASS) if n not in LEFT_OUT_NOTES)
NOTE_SECONDS: Final = 2.5
_CHANNEL: Final = 9


@dataclass(frozen=True, slots=True)
class OneShots:
    """Features ``x`` ``[N, len(FEATURE_NAMES)]``, labels ``y`` (class names), and for each row
    its kit, note and velocity."""

    x: np.ndarray
    y: tuple[DrumClass, ...]
    origin: tuple[tuple[int, int, int], ...]


#: Classes whose length is not what defines them: shortened copies are still the same class.
_SHORTENABLE: Final = frozenset({"kick", "snare", "tom", "clap", "perc"})
TUNINGS: Final = (-4.0, 4.0)
SHORT_TAU_S: Final = 0.08


def tuned(x: np.ndarray, semitones: float) -> np.ndarray:
    """``x`` played faster or slower, as a drum machine's tune knob does (pitch and length)."""
    rate = 2.0 ** (semitones / 12.0)
    pos = np.arange(0.0, x.size - 1, rate)
    return np.interp(pos, np.arange(x.size), x).astype(np.float32)


def variants(x: np.ndarray, label: DrumClass) -> list[np.ndarray]:
    """The hit, tuned down and up (:data:`TUNINGS`, semitones) and, where its length does not
    define its class, gated to a short decay: the ways drum machines and producers change one
    sound."""
    out = [x, *(tuned(x, s) for s in TUNINGS)]
    if label in _SHORTENABLE:
        t = np.arange(x.size) / KIT_SAMPLE_RATE
        out.append((x * np.exp(-t / SHORT_TAU_S)).astype(np.float32))
    return out


#: Augmented copies of each labelled one-shot besides the tunings of :func:`variants`.
AUGMENTED_COPIES: Final = 4


def augmented(x: np.ndarray, label: DrumClass, rng: np.random.Generator) -> list[np.ndarray]:
    """:func:`variants` of the hit, and :data:`AUGMENTED_COPIES` copies each tuned by up to 3
    semitones either way, started 0..4 ms late (a slicer's onset error) and with white noise
    35..55 dB under the hit's peak (a recording's floor)."""
    out = variants(x, label)
    peak = float(np.abs(x).max()) or 1.0
    for _ in range(AUGMENTED_COPIES):
        y = tuned(x, float(rng.uniform(-3.0, 3.0)))
        lead = np.zeros(int(rng.integers(0, round(0.004 * KIT_SAMPLE_RATE) + 1)), np.float32)
        y = np.concatenate([lead, y])
        noise = peak * 10 ** (float(rng.uniform(-55.0, -35.0)) / 20)
        out.append((y + rng.normal(0.0, noise, y.size)).astype(np.float32))
    return out


def labelled_one_shots(
    folder: Path, labels: dict[str, DrumClass], *, seed: int = 0
) -> dict[str, OneShots]:
    """Every ``<name>.flac`` of ``folder`` named in ``labels``, cut as the kit build cuts a
    one-shot and augmented (:func:`augmented`): name -> its rows (origin ``(0, 0, 0)``).
    Raises FileNotFoundError naming a labelled file that is missing."""
    from render.kit.audio import read_clip

    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(labels):
        path = Path(folder) / f"{name}.flac"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: labelled one-shot missing -- the Sonic Pi samples")
        clip = read_clip(path)
        hit = one_shot(clip.audio, clip.sample_rate, source=path)
        if hit is None:
            raise ValueError(f"{path}: no audible hit -- a labelled one-shot")
        label = labels[name]
        rows = [
            feature_vector(hit_features(v, KIT_SAMPLE_RATE, level_db=hit.level_db))
            for v in augmented(hit.mono(), label, rng)
        ]
        out[name] = OneShots(
            x=np.stack(rows), y=(label,) * len(rows), origin=((0, 0, 0),) * len(rows)
        )
    return out


def render_one_shots(
    *,
    soundfont: Path | str | None = None,
    backend: str | None = None,
    kits: Sequence[int] = KITS,
    notes: Sequence[int] = NOTES,
    velocities: Sequence[int] = VELOCITIES,
) -> OneShots:
    """Play every ``notes`` x ``velocities`` on every kit in ``kits`` and measure each hit."""
    path = resolve_soundfont(soundfont)
    engine = open_engine(path, backend=backend, sample_rate=KIT_SAMPLE_RATE)
    rows: list[np.ndarray] = []
    labels: list[DrumClass] = []
    origin: list[tuple[int, int, int]] = []
    frames = round(NOTE_SECONDS * KIT_SAMPLE_RATE)
    seen: set[bytes] = set()
    try:
        for kit in kits:
            for note in notes:
                for velocity in velocities:
                    out = np.zeros((frames, 2), dtype=np.float32)
                    engine.reset()
                    engine.select(_CHANNEL, kit, is_drum=True)
                    engine.note_on(_CHANNEL, note, velocity)
                    engine.render_into(out[: frames // 2])
                    engine.note_off(_CHANNEL, note)
                    engine.render_into(out[frames // 2 :])
                    hit = one_shot(out, KIT_SAMPLE_RATE, source=path)
                    if hit is None or hit.level_db < -60.0:
                        continue
                    # Kits share samples: the same sound at the same velocity is one row.
                    key = np.round(hit.audio[:2048:7, 0], 3).tobytes()
                    if key in seen:
                        continue
                    seen.add(key)
                    label = GM_CLASS[note]
                    for variant in variants(hit.mono(), label):
                        feats = hit_features(variant, KIT_SAMPLE_RATE, level_db=hit.level_db)
                        rows.append(feature_vector(feats))
                        labels.append(label)
                        origin.append((kit, note, velocity))
    finally:
        engine.close()
    logger.info("%d one-shots from %s", len(rows), path)
    x = np.stack(rows) if rows else np.zeros((0, len(FEATURE_NAMES)))
    return OneShots(x=x, y=tuple(labels), origin=tuple(origin))
