"""The ``chromatic eval`` and ``chromatic train`` command groups. Commands join them from their
own modules (``cli/*.py``), which ``cli/app.py`` imports."""

from __future__ import annotations

import typer

eval_app = typer.Typer(
    name="eval", help="Evaluate the models and the generated parts.", no_args_is_help=True
)
train_app = typer.Typer(
    name="train", help="Train the models the agent uses, on real data.", no_args_is_help=True
)
export_app = typer.Typer(
    name="export", help="Export the models for other runtimes.", no_args_is_help=True
)
