"""The true class of each Sonic Pi one-shot (../shared/data/sonic-pi-samples, CC0), from its name,
and the split of those files into a ``dev`` half (trained on, with augmentation) and a
``held_out`` half (never trained or tuned on; ``python -m bench.kit_build`` reports it).

Written down before the classifier was first run on these files, so the labels are not bent to
its answers. Every file of the folder is either labelled or excluded with a reason.

The split is by *group*, not by file (:func:`group`): velocity layers (``_hard`` / ``_soft``),
numbered takes (``perc_snap`` / ``perc_snap2``) and pitch variants (``_hi`` / ``_mid`` / ``_lo``)
of one sound are one group, so no near-identical copy of a held-out sound is trained on. Within
each class the groups, sorted by the CRC-32 of their names, alternate dev / held-out.

Labelling rules: ``bd_*``, ``drum_bass_*`` and ``*_kick`` are kicks; ``sn_*`` and ``*_snare``
snares; ``drum_cymbal_closed`` and ``drum_cymbal_pedal`` (a foot-closed hat) closed hats;
``drum_cymbal_open`` an open hat; crash, splash and ``elec_cymbal`` cymbals; ``*_tom`` toms;
finger snaps are the nearest class to a clap; everything else struck or electronic that is not one
of those is other percussion (cowbell, triangle, wood, bells, chimes, ticks and synth blips).
"""

from __future__ import annotations

import re
import zlib
from typing import Final, Literal

from render.kit.classes import DrumClass

Half = Literal["dev", "held_out"]

LABELS: Final[dict[str, DrumClass]] = {
    # kick (17)
    "bd_808": "kick",
    "bd_ada": "kick",
    "bd_boom": "kick",
    "bd_fat": "kick",
    "bd_gas": "kick",
    "bd_haus": "kick",
    "bd_klub": "kick",
    "bd_pure": "kick",
    "bd_sone": "kick",
    "bd_tek": "kick",
    "bd_zome": "kick",
    "bd_zum": "kick",
    "drum_bass_hard": "kick",
    "drum_bass_soft": "kick",
    "drum_heavy_kick": "kick",
    "elec_hollow_kick": "kick",
    "elec_soft_kick": "kick",
    # snare (10)
    "sn_dolf": "snare",
    "sn_dub": "snare",
    "sn_zome": "snare",
    "drum_snare_hard": "snare",
    "drum_snare_soft": "snare",
    "elec_filt_snare": "snare",
    "elec_hi_snare": "snare",
    "elec_lo_snare": "snare",
    "elec_mid_snare": "snare",
    "elec_snare": "snare",
    # hats (3)
    "drum_cymbal_closed": "closed_hat",
    "drum_cymbal_pedal": "closed_hat",
    "drum_cymbal_open": "open_hat",
    # cymbals (5)
    "drum_cymbal_hard": "cymbal",
    "drum_cymbal_soft": "cymbal",
    "drum_splash_hard": "cymbal",
    "drum_splash_soft": "cymbal",
    "elec_cymbal": "cymbal",
    # toms (7)
    "drum_tom_hi_hard": "tom",
    "drum_tom_hi_soft": "tom",
    "drum_tom_mid_hard": "tom",
    "drum_tom_mid_soft": "tom",
    "drum_tom_lo_hard": "tom",
    "drum_tom_lo_soft": "tom",
    "elec_fuzz_tom": "tom",
    # clap (2): finger snaps
    "perc_snap": "clap",
    "perc_snap2": "clap",
    # other percussion (20)
    "drum_cowbell": "perc",
    "elec_triangle": "perc",
    "elec_wood": "perc",
    "elec_tick": "perc",
    "elec_bell": "perc",
    "elec_chime": "perc",
    "elec_ping": "perc",
    "elec_beep": "perc",
    "elec_blip": "perc",
    "elec_blip2": "perc",
    "elec_blup": "perc",
    "elec_bong": "perc",
    "elec_flip": "perc",
    "elec_plip": "perc",
    "elec_pop": "perc",
    "elec_twang": "perc",
    "elec_twip": "perc",
    "perc_bell": "perc",
    "perc_swash": "perc",
    "perc_till": "perc",
}

#: Files of the folder that are not one drum hit, and why.
EXCLUDED: Final[dict[str, str]] = {
    "drum_roll": "a snare roll of many hits, not one hit",
    **{
        f"bass_{n}": "a pitched bass-synth note, not a drum"
        for n in ("dnb_f", "drop_c", "hard_c", "hit_c", "thick_c", "trance_c", "voxy_c")
    },
    "bass_voxy_hit_c": "a pitched bass-synth note, not a drum",
    "bass_woodsy_c": "a pitched bass-synth note, not a drum",
    **{
        f"loop_{n}": "a loop of many hits (the kit-build input, not a one-shot)"
        for n in (
            "amen",
            "amen_full",
            "breakbeat",
            "compus",
            "garzul",
            "industrial",
            "mika",
            "safari",
            "tabla",
        )
    },
}


def group(name: str) -> str:
    """The sound a file is a variant of: ``name`` without a velocity suffix (``_hard``,
    ``_soft``), a take number after letters (``snap2``) or a pitch word (``_hi``, ``_mid``,
    ``_lo``). ``drum_tom_hi_hard`` -> ``drum_tom``, ``elec_blip2`` -> ``elec_blip``,
    ``bd_808`` -> ``bd_808``."""
    out = re.sub(r"_(hard|soft)$", "", name)
    out = re.sub(r"(?<=[a-z])\d$", "", out)
    return re.sub(r"_(hi|mid|lo)(?=_|$)", "", out)


def split() -> dict[str, Half]:
    """File name (of :data:`LABELS`) -> ``dev`` or ``held_out`` (module docstring)."""
    groups: dict[str, set[str]] = {}
    for name, cls in LABELS.items():
        groups.setdefault(cls, set()).add(group(name))
    half: dict[str, Half] = {}
    for names in groups.values():
        for i, g in enumerate(sorted(names, key=lambda n: zlib.crc32(n.encode()))):
            half[g] = "dev" if i % 2 == 0 else "held_out"
    return {name: half[group(name)] for name in LABELS}
