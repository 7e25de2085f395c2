"""Effects on a corpus stem's audio, drawn per song and stem: reverb (room size, wet level),
EQ (low and high shelves), light compression and, on guitar and pads, chorus. A share of the
stems stays dry. Effects change only the audio: a stem's MIDI labels are its notes as played.

:func:`draw_effects` draws the settings from the song's generator, :func:`apply_effects` runs
them with pedalboard; the settings are plain numbers, kept in the song's ``metadata.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import pedalboard

#: Share of stems rendered dry (no effect at all).
DRY_SHARE: Final = 0.25
#: Stems that may get a chorus (a chorus on bass or drums smears what the model must hear).
CHORUS_STEMS: Final = frozenset({"guitar", "synth_pad_fx"})


@dataclass(frozen=True, slots=True)
class Effects:
    """One stem's effect settings; a ``None`` effect is off (all None: dry)."""

    reverb_room: float | None = None
    reverb_wet: float | None = None
    low_shelf_db: float | None = None
    high_shelf_db: float | None = None
    compressor_db: float | None = None
    compressor_ratio: float | None = None
    chorus_mix: float | None = None

    @property
    def dry(self) -> bool:
        return all(v is None for v in asdict(self).values())

    def as_json(self) -> dict[str, Any]:
        """The settings that are on, rounded (``{}`` for a dry stem)."""
        return {k: round(v, 3) for k, v in asdict(self).items() if v is not None}


def draw_effects(stem: str, rng: np.random.Generator) -> Effects:
    """Settings for ``stem``: dry with probability :data:`DRY_SHARE`, else each effect on with
    its own chance (reverb 70%, EQ 60%, compression 40%, chorus 40% on :data:`CHORUS_STEMS`;
    reverb when none came up)."""
    if rng.random() < DRY_SHARE:
        return Effects()
    reverb = rng.random() < 0.7
    eq = rng.random() < 0.6
    comp = rng.random() < 0.4
    chorus = stem in CHORUS_STEMS and rng.random() < 0.4
    reverb = reverb or not (eq or comp or chorus)
    return Effects(
        reverb_room=float(rng.uniform(0.1, 0.8)) if reverb else None,
        reverb_wet=float(rng.uniform(0.05, 0.35)) if reverb else None,
        low_shelf_db=float(rng.uniform(-9.0, 6.0)) if eq else None,
        high_shelf_db=float(rng.uniform(-12.0, 6.0)) if eq else None,
        compressor_db=float(rng.uniform(-30.0, -12.0)) if comp else None,
        compressor_ratio=float(rng.uniform(1.5, 4.0)) if comp else None,
        chorus_mix=float(rng.uniform(0.2, 0.5)) if chorus else None,
    )


def _board(fx: Effects) -> pedalboard.Pedalboard:
    plugins: list[pedalboard.Plugin] = []
    if fx.low_shelf_db is not None and fx.high_shelf_db is not None:
        plugins.append(
            pedalboard.LowShelfFilter(cutoff_frequency_hz=250.0, gain_db=fx.low_shelf_db)
        )
        plugins.append(
            pedalboard.HighShelfFilter(cutoff_frequency_hz=3000.0, gain_db=fx.high_shelf_db)
        )
    if fx.compressor_db is not None and fx.compressor_ratio is not None:
        plugins.append(
            pedalboard.Compressor(
                threshold_db=fx.compressor_db,
                ratio=fx.compressor_ratio,
                attack_ms=10.0,
                release_ms=120.0,
            )
        )
    if fx.chorus_mix is not None:
        plugins.append(
            pedalboard.Chorus(rate_hz=0.8, depth=0.25, centre_delay_ms=7.0, mix=fx.chorus_mix)
        )
    if fx.reverb_room is not None and fx.reverb_wet is not None:
        plugins.append(
            pedalboard.Reverb(
                room_size=fx.reverb_room, wet_level=fx.reverb_wet, dry_level=1.0 - fx.reverb_wet
            )
        )
    return pedalboard.Pedalboard(plugins)


def apply_effects(audio: np.ndarray, sample_rate: int, fx: Effects) -> np.ndarray:
    """Mono float32 ``audio`` through ``fx``, same length; a dry ``fx`` returns it unchanged.
    The output is scaled down only where it would clip."""
    if fx.dry:
        return audio
    x = np.ascontiguousarray(np.asarray(audio, dtype=np.float32)[None, :])
    out = _board(fx).process(x, sample_rate, reset=True)[0, : audio.shape[0]]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0.999:
        out = out * np.float32(0.999 / peak)
    return np.asarray(out, dtype=np.float32)
