"""Serve a run's review page with uvicorn until interrupted: bind first (so the printed URL
names the real port, also when port 0 picks a free one), then announce the URL with the
session's token, then serve."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from music.errors import InputError
from web.access import new_token
from web.app import create_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where to serve which run: ``host`` (127.0.0.1: this machine only), ``port`` (0: any
    free one), ``scorer`` (the model ``continue`` scores with, as ``chromatic resume
    --scorer``; None: the run's default)."""

    run_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    scorer: str | None = None


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET  # a name such as localhost


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``. Raises InputError naming the address when it
    cannot be bound (in use, not an address of this machine)."""
    if not 0 <= port <= 65535:
        raise InputError(file=None, field="--port", value=port, allowed="0..65535 (0: any free)")
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise InputError(
            file=None,
            field="--host/--port",
            value=f"{host}:{port}",
            allowed=f"an address of this machine with a free port ({exc.strerror or exc}); "
            "--port 0 picks a free one",
        ) from None
    return sock


def page_url(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/?token={token}"


def serve(settings: ServerSettings, *, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C). ``announce`` gets the page's URL once the port is
    bound. Raises RunStateError for a folder that is not a run, InputError for an address
    that cannot be bound."""
    token = new_token()
    app = create_app(settings.run_dir, token=token, scorer=settings.scorer, host=settings.host)
    sock = bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    announce(page_url(settings.host, port, token))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
