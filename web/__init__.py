"""The review page: a local web server for a run's human gate (``chromatic review RUN --web``).

Server-rendered HTML (Jinja2) with a little JavaScript, on Starlette and uvicorn; piano rolls
and drum grids drawn server-side with Pillow. Every change goes through the gate's own code
(:mod:`agents.decisions`), so the page and ``chromatic approve`` / ``reject`` write review.yml
the same way and fail with the same text. Nothing here imports the CLI.
"""
