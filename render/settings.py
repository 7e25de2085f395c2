"""Render settings a person chooses (``--sample-rate``, ``--stem-format``, ``--kit``,
``--kit-pick``, ``--melody-timbre``): one typed value from the command line to the
synthesizer, the stem writer, the kit player and the melody's DDSP timbre."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from render.audio_io import WAV_FORMATS
from render.ddsp import TIMBRE_HELP
from render.kit.play import PICKS

SAMPLE_RATES: Final = (44100, 48000)
STEM_FORMATS: Final = tuple(WAV_FORMATS)


class RenderSettingError(ValueError):
    """A render setting with a value it cannot take: ``name``, ``value``, ``allowed``."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name}: {value!r} -- {allowed}")


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """``sample_rate`` (Hz) of the stems and the master; ``stem_format`` of the stem WAVs
    (``pcm24``: 24-bit PCM, or ``float32``); ``kit``: a sample-kit folder the drums are also
    played on (None: the proposal's ``kit``, if any); ``kit_pick``: how its hits are picked
    (None: the proposal's, else round_robin); ``melody_timbre``: a DDSP timbre the melody stem
    is played on instead of the SoundFont (``trumpet`` or an .onnx path, see
    :func:`render.ddsp.load_timbre`; None: the SoundFont)."""

    sample_rate: int = SAMPLE_RATES[0]
    stem_format: str = STEM_FORMATS[0]
    kit: str | None = None
    kit_pick: str | None = None
    melody_timbre: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.sample_rate, bool) or self.sample_rate not in SAMPLE_RATES:
            rates = " or ".join(str(r) for r in SAMPLE_RATES)
            raise RenderSettingError("sample_rate", self.sample_rate, f"{rates} (Hz)")
        if self.stem_format not in STEM_FORMATS:
            formats = " or ".join(STEM_FORMATS)
            raise RenderSettingError(
                "stem_format", self.stem_format, f"{formats} (24-bit PCM or 32-bit float WAV)"
            )
        if self.kit is not None and (not isinstance(self.kit, str) or not self.kit.strip()):
            raise RenderSettingError("kit", self.kit, "a kit folder made by `chromatic kit build`")
        if self.kit_pick is not None and self.kit_pick not in PICKS:
            raise RenderSettingError("kit_pick", self.kit_pick, f"one of {', '.join(PICKS)}")
        timbre = self.melody_timbre
        if timbre is not None and (not isinstance(timbre, str) or not timbre.strip()):
            raise RenderSettingError("melody_timbre", timbre, TIMBRE_HELP)

    def with_values(self, values: Mapping[str, Any]) -> RenderSettings:
        """These settings with every value in ``values`` that is not None put in (keys are
        the field names); raises RenderSettingError naming a bad value or an unknown key."""
        known = ("sample_rate", "stem_format", "kit", "kit_pick", "melody_timbre")
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise RenderSettingError("render settings", unknown, f"known: {', '.join(known)}")
        given = {k: v for k, v in values.items() if v is not None}
        return RenderSettings(**{**asdict(self), **given})

    def to_dict(self) -> dict[str, Any]:
        """The settings, those not set (None) left out."""
        return {k: v for k, v in asdict(self).items() if v is not None}
