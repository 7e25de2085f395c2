"""The ``chromatic`` command at the edge: every command and its option parsing (typer).

Nothing below imports this package: ``agents``, ``evolution``, ``generators``, ``scoring``,
``render``, ``music`` and ``training`` are libraries the commands call. The ``train`` and
``eval`` commands import ``training`` (and so torch) inside the command functions only.
"""
