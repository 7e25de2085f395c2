"""Render settings a person chooses (``--sample-rate``, ``--stem-format``): one typed value
from the command line to the synthesizer and the stem writer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from render.audio_io import WAV_FORMATS

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
    (``pcm24``: 24-bit PCM, or ``float32``)."""

    sample_rate: int = SAMPLE_RATES[0]
    stem_format: str = STEM_FORMATS[0]

    def __post_init__(self) -> None:
        if isinstance(self.sample_rate, bool) or self.sample_rate not in SAMPLE_RATES:
            rates = " or ".join(str(r) for r in SAMPLE_RATES)
            raise RenderSettingError("sample_rate", self.sample_rate, f"{rates} (Hz)")
        if self.stem_format not in STEM_FORMATS:
            formats = " or ".join(STEM_FORMATS)
            raise RenderSettingError(
                "stem_format", self.stem_format, f"{formats} (24-bit PCM or 32-bit float WAV)"
            )

    def with_values(self, values: Mapping[str, Any]) -> RenderSettings:
        """These settings with every value in ``values`` that is not None put in (keys are
        the field names); raises RenderSettingError naming a bad value or an unknown key."""
        known = ("sample_rate", "stem_format")
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise RenderSettingError("render settings", unknown, f"known: {', '.join(known)}")
        given = {k: v for k, v in values.items() if v is not None}
        return RenderSettings(**{**asdict(self), **given})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
