"""``python -m training.kitclass``: train the kit build's drum-hit classifier.

    python -m training.kitclass --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 \\
        --soundfont /usr/share/sounds/sf2/sf_GMbank.sf2 --out render/kit/drum_classifier.npz

Prints the report (hits per class, leave-one-SoundFont-out balanced accuracy) as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from training.kitclass.train import TrainConfig, train_classifier

    parser = argparse.ArgumentParser(prog="python -m training.kitclass")
    parser.add_argument(
        "--soundfont", type=Path, action="append", help="a GM .sf2 (repeat for several)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the model file (.npz)")
    defaults = TrainConfig()
    parser.add_argument("--trees", type=int, default=defaults.trees)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--backend", default=None, help="fluidsynth or tinysoundfont")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = train_classifier(
        args.soundfont or [None],
        args.out,
        config=TrainConfig(trees=args.trees, seed=args.seed),
        backend=args.backend,
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
