"""``python -m cli``: the ``chromatic`` command."""

from cli.app import app

app(prog_name="chromatic")
