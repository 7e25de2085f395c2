"""``python -m training.kitclass``: train the kit build's drum-hit classifier.

    python -m training.kitclass --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 \\
        --soundfont /usr/share/sounds/sf2/sf_GMbank.sf2 \\
        --one-shots ../shared/data/sonic-pi-samples --out render/kit/drum_classifier.npz

``--one-shots``: the Sonic Pi one-shots folder; the ``dev`` half of its labelled files
(training/kitclass/labels.py) is trained on, augmented; the ``held_out`` half never is.
Prints the report (hits per class, leave-one-SoundFont-out balanced accuracy, the dev files'
out-of-fold classes) as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from training.kitclass.dataset import labelled_one_shots
    from training.kitclass.labels import LABELS, group, split
    from training.kitclass.train import TrainConfig, train_classifier

    parser = argparse.ArgumentParser(prog="python -m training.kitclass")
    parser.add_argument(
        "--soundfont", type=Path, action="append", help="a GM .sf2 (repeat for several)"
    )
    parser.add_argument(
        "--one-shots", type=Path, help="the Sonic Pi samples folder (its dev half is trained on)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the model file (.npz)")
    defaults = TrainConfig()
    parser.add_argument("--trees", type=int, default=defaults.trees)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--labelled-weight",
        type=float,
        default=defaults.labelled_weight,
        help="weight of a labelled one-shot row against a SoundFont row",
    )
    parser.add_argument("--backend", default=None, help="fluidsynth or tinysoundfont")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    labelled = None
    if args.one_shots is not None:
        halves = split()
        dev = {n: c for n, c in LABELS.items() if halves[n] == "dev"}
        labelled = labelled_one_shots(args.one_shots, dev, seed=args.seed)
    report = train_classifier(
        args.soundfont or [None],
        args.out,
        config=TrainConfig(trees=args.trees, seed=args.seed, labelled_weight=args.labelled_weight),
        backend=args.backend,
        labelled=labelled,
        groups={n: group(n) for n in LABELS},
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
