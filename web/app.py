"""The review page's web application (Starlette): the page, the run's media files, pictures
of candidates, and three JSON calls (a decision, continue, the job's progress), plus the
page's state for noticing changes made elsewhere.

Every decision goes through :func:`agents.decisions.record_decision`, the call behind
``chromatic approve`` / ``reject``: the same validation, the same atomic review.yml write
under the run folder's lock, the same decision log, the same error text. The server holds the
lock only for the length of one write; its own writes queue on a thread lock first, so two
browsers deciding at once are taken one after the other. Bad input is answered with a 4xx and
the error's text, never a traceback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agents.decisions import check_review_ready, phase_info, record_decision
from agents.errors import ReviewError, RunStateError
from agents.phases.previews_on_demand import write_missing_previews
from agents.run_state import read_status
from agents.rundir import PHASES, PREVIEW_SUFFIX, RunDir, check_phase, check_safe_name
from agents.runlock import RunInUseError
from music.errors import ChromaticError, StorageError
from web.access import Access, AccessDenied, SecurityHeaders
from web.files import FileRefused, media_type, resolve_run_file
from web.jobs import JobBusy, ResumeJob
from web.page import ready_text, render_page
from web.pictures import PictureCache
from web.view import GateCache, gate_view

STATIC: Final = Path(__file__).resolve().parent / "static"
MAX_BODY: Final = 64 * 1024
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "::1", "[::1]")


class DecisionRequest(BaseModel):
    """A verdict from the page: as ``chromatic approve RUN PHASE ID --label L --notes N``
    (``approved``), ``reject`` (``rejected``) or back to ``pending``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    phase: str = Field(max_length=32)
    id: str = Field(max_length=64)
    status: Literal["approved", "rejected", "pending"]
    label: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=4000)


class ContinueRequest(BaseModel):
    """Continue past the gate the page shows (``phase``), as ``chromatic resume RUN``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    phase: str = Field(max_length=32)


class Refused(Exception):
    """A request answered with ``status`` and the text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error a person can fix."""
    if isinstance(exc, Refused | FileRefused):
        return exc.status
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, RunInUseError | RunStateError | JobBusy):
        return 409
    if isinstance(exc, StorageError):
        return 507
    return 400


def _error(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(exc)}, status_code=status_of(exc))
    return PlainTextResponse(str(exc), status_code=status_of(exc))


def _request_error(exc: ValidationError) -> Refused:
    problems = []
    for e in exc.errors(include_url=False):
        where = ".".join(str(x) for x in e["loc"]) or "body"
        shown = repr(e["input"]) if not isinstance(e["input"], dict) else "{...}"
        problems.append(f"{where}: {shown[:80]} -- {e['msg']}")
    return Refused(400, "request: " + "; ".join(problems))


async def _json_body(request: Request, model: type[BaseModel]) -> Any:
    if "application/json" not in request.headers.get("content-type", ""):
        raise Refused(415, "request: content-type -- application/json")
    body = await request.body()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, f"request: body is not JSON ({exc}) -- a JSON object") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _request_error(exc) from None


class ReviewApp:
    """The routes of one run's review page, with its token, job and picture cache."""

    def __init__(self, run_dir: Path, *, token: str, scorer: str | None = None) -> None:
        self.run = RunDir(run_dir).require_existing()
        self.access = Access(token)
        self.job = ResumeJob(self.run.root, scorer=scorer)
        self.pictures = PictureCache()
        self.gates = GateCache()
        self._writes = threading.Lock()

    def state(self) -> dict[str, Any]:
        """Where the run and its gate stand, for the page to notice changes made elsewhere."""
        if self.job.running:
            return {
                "status": "running",
                "phase": None,
                "review_stamp": "",
                "job": self.job.snapshot(),
            }
        view = gate_view(self.run.root, cache=self.gates)
        return {
            "status": view.status,
            "phase": view.phase,
            "review_stamp": view.review_stamp,
            "error": view.error,
            "not_ready": view.not_ready,
            "ready_text": ready_text(error=view.error, not_ready=view.not_ready),
            "job": self.job.snapshot(),
        }

    def _current_gate(self, phase: str) -> None:
        check_phase(phase)
        if self.job.running:
            raise Refused(409, "the run is resuming -- wait for it to reach its next gate")
        outcome, _ = read_status(self.run.root)
        view_phase = outcome.phase if outcome.status == "awaiting_review" else None
        if view_phase != phase:
            now = f"at the {view_phase} gate" if view_phase else "not at a gate"
            raise Refused(409, f"phase: {phase!r} -- the run is {now} now; reload the page")

    def page(self, request: Request) -> Response:
        if self.access.url_token(request):
            # Keep the token in a cookie and take it out of the address bar.
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(
                self.access.cookie, self.access.token, httponly=True, samesite="strict"
            )
            return response
        self.access.check_read(request)
        html = render_page(
            gate_view(self.run.root, cache=self.gates),
            job=self.job.snapshot(),
            token=self.access.token,
        )
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    def file(self, request: Request) -> Response:
        self.access.check_read(request)
        relative = request.query_params.get("path", "")
        self._preview_on_demand(relative)
        path = resolve_run_file(self.run.root, relative)
        return FileResponse(path, media_type=media_type(path))

    def _preview_on_demand(self, relative: str) -> None:
        """Write a candidate's preview on its first play when review.yml names it but it is
        not on disk (an auto-approved run writes the others on demand). A path that is not a
        listed candidate's preview is left to :func:`resolve_run_file` to answer."""
        phase, folder, name = ([*relative.split("/", 2), "", ""])[:3]
        if phase not in PHASES or folder != "previews" or not name.endswith(PREVIEW_SUFFIX):
            return
        try:
            cid = check_safe_name(name.removesuffix(PREVIEW_SUFFIX), what="id")
            if self.run.review(phase).is_file() and not self.run.preview(phase, cid).is_file():
                write_missing_previews(self.run, phase, [cid])
        except (ReviewError, ValueError):
            return

    def picture(self, request: Request) -> Response:
        self.access.check_read(request)
        phase = check_phase(request.query_params.get("phase", ""))
        cid = request.query_params.get("id", "")
        try:
            midi = self.run.candidate_midi(phase, check_safe_name(cid, what="id"))
        except ValueError as exc:
            raise Refused(400, str(exc)) from None
        if not midi.is_file():
            raise Refused(404, f"id: {cid!r} -- no candidate MIDI file {self.run.relative(midi)}")
        png = self.pictures.get(midi, phase=phase).png
        return Response(png, media_type="image/png", headers={"cache-control": "no-cache"})

    async def decide(self, request: Request) -> Response:
        self.access.check_write(request)
        body: DecisionRequest = await _json_body(request, DecisionRequest)
        label = body.label.strip() if body.label and body.label.strip() else None
        return await _in_thread(lambda: self._decide(body, label))

    def _decide(self, body: DecisionRequest, label: str | None) -> Response:
        with self._writes:
            self._current_gate(body.phase)
            decision = record_decision(
                run_dir=self.run.root,
                phase=body.phase,
                candidate_id=body.id,
                status=body.status,
                label=label if body.status == "approved" else None,
                notes=body.notes,
                source="web",
            )
        return JSONResponse({"decision": asdict(decision)})

    async def resume(self, request: Request) -> Response:
        self.access.check_write(request)
        body: ContinueRequest = await _json_body(request, ContinueRequest)
        return await _in_thread(lambda: self._resume(body.phase))

    def _resume(self, phase: str) -> Response:
        with self._writes:
            self._current_gate(phase)
            _, info = phase_info(self.run.root, phase)
            check_review_ready(self.run, phase, list(info["candidates"]))
            self.job.start()
        return JSONResponse({"job": self.job.snapshot()}, status_code=202)

    def job_state(self, request: Request) -> Response:
        self.access.check_read(request)
        return JSONResponse(self.job.snapshot())

    def page_state(self, request: Request) -> Response:
        self.access.check_read(request)
        return JSONResponse(self.state())


async def _in_thread(call: Callable[[], Response]) -> Response:
    return await run_in_threadpool(call)


def create_app(
    run_dir: Path, *, token: str, scorer: str | None = None, host: str = "127.0.0.1"
) -> Starlette:
    """The review page of ``run_dir`` for the holder of ``token``. ``host``: the address it
    is served on (a loopback address also refuses requests naming another host, against DNS
    rebinding). Raises RunStateError for a folder that is not a run."""
    review = ReviewApp(run_dir, token=token, scorer=scorer)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        review.job.stop()

    middleware = [Middleware(SecurityHeaders)]
    if host in LOOPBACK_HOSTS:
        allowed = ["127.0.0.1", "localhost", "[::1]", "::1"]
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed))
    handled: tuple[type[Exception], ...] = (
        ChromaticError,
        ValueError,
        AccessDenied,
        Refused,
        JobBusy,
    )
    app = Starlette(
        routes=[
            Route("/", review.page),
            Route("/file", review.file),
            Route("/picture", review.picture),
            Route("/api/state", review.page_state),
            Route("/api/job", review.job_state),
            Route("/api/decision", review.decide, methods=["POST"]),
            Route("/api/continue", review.resume, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=middleware,
        exception_handlers={kind: _error for kind in handled},
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.review = review
    return app
