"""Which General MIDI SoundFont to use, and a check that it really is one.

Order: the ``soundfont`` argument, else the ``CHROMATIC_SOUNDFONT`` environment variable, else
Debian's FluidR3 GM (``fluid-soundfont-gm``, MIT, 148 MB) when installed, else the TimGM6mb
SoundFont bundled inside the pretty_midi wheel (GPL-2 data file, 6 MB; used as data, never
copied into this repository), so a user without the Debian packages still gets audio.

A SoundFont given explicitly (argument or environment) that is missing or broken is an error
naming the path; it is never silently replaced by another one.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Final

from render.errors import SoundFontError

logger = logging.getLogger(__name__)

SOUNDFONT_ENV: Final = "CHROMATIC_SOUNDFONT"

#: Where Debian and other distributions put FluidR3 GM.
SYSTEM_SOUNDFONTS: Final[tuple[Path, ...]] = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf3"),
)

_HEADER_BYTES: Final = 12


def bundled_soundfont() -> Path | None:
    """pretty_midi's bundled TimGM6mb.sf2, or None when pretty_midi is not installed.

    Found through the import system without importing pretty_midi itself."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "TimGM6mb.sf2"
        if candidate.is_file():
            return candidate
    return None


def check_soundfont(path: Path, *, source: str = "soundfont") -> Path:
    """Return ``path`` when it is a readable SoundFont 2 file (``RIFF....sfbk`` header).

    Raises SoundFontError naming the path, where it came from (``source``) and the fix."""
    fix = (
        f"give a General MIDI .sf2 file (argument or ${SOUNDFONT_ENV}), or install Debian's "
        "fluid-soundfont-gm"
    )
    if not path.exists():
        raise SoundFontError(f"{path}: {source}: no such file -- {fix}", path=path)
    if not path.is_file():
        raise SoundFontError(f"{path}: {source}: not a file -- {fix}", path=path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER_BYTES)
    except OSError as exc:
        raise SoundFontError(
            f"{path}: {source}: cannot be read ({exc}) -- {fix}", path=path
        ) from exc
    if len(head) < _HEADER_BYTES or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise SoundFontError(
            f"{path}: {source}: not a SoundFont 2 file (header {head[:12]!r}, expected "
            f"b'RIFF....sfbk') -- {fix}",
            path=path,
        )
    return path


def resolve_soundfont(soundfont: Path | str | None = None) -> Path:
    """The SoundFont to use (see the module docstring for the order), checked.

    Raises SoundFontError when the chosen file is missing or broken, or when none is found."""
    if soundfont is not None and str(soundfont).strip():
        return check_soundfont(Path(soundfont).expanduser(), source="soundfont argument")
    env = os.environ.get(SOUNDFONT_ENV, "").strip()
    if env:
        return check_soundfont(Path(env).expanduser(), source=f"${SOUNDFONT_ENV}")
    for system in SYSTEM_SOUNDFONTS:
        if system.is_file():
            return check_soundfont(system, source="system SoundFont")
    bundled = bundled_soundfont()
    if bundled is not None:
        logger.info("FluidR3 GM not installed; using pretty_midi's bundled %s", bundled)
        return check_soundfont(bundled, source="pretty_midi's bundled SoundFont")
    raise SoundFontError(
        f"no SoundFont found (looked at ${SOUNDFONT_ENV}, {', '.join(map(str, SYSTEM_SOUNDFONTS))} "
        "and pretty_midi's TimGM6mb.sf2) -- install Debian's fluid-soundfont-gm or set "
        f"${SOUNDFONT_ENV} to a General MIDI .sf2 file",
        path=None,
    )
