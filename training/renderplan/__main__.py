"""``python -m training.renderplan build|train|predict``: the seed's three steps.

    python -m training.renderplan build --root datasets/renderplan
    python -m training.renderplan train --dataset datasets/renderplan --out models/renderplan
    python -m training.renderplan predict --model models/renderplan/plan_model_mlp.json \\
        --analysis runs/song/analysis.json --out render_plan.json
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.renderplan")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="analyse tracks/<id>/ into plan_dataset.jsonl")
    b.add_argument("--root", type=Path, required=True)
    b.add_argument("--out", type=Path, default=None)
    t = sub.add_parser("train", help="train the linear and MLP models")
    t.add_argument("--dataset", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("predict", help="predict a render_plan.json from an analysis")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--analysis", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "build":
        from training.renderplan.dataset import build_dataset

        print(build_dataset(args.root, args.out))
    elif args.command == "train":
        from training.renderplan.train import train_renderplan

        report = train_renderplan(args.dataset, args.out)
        print(json.dumps(report.mse, indent=2))
    else:
        from render.renderplan_model import predict_renderplan

        print(predict_renderplan(args.model, args.analysis).save(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
