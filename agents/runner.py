"""Start and resume runs: open the run directory's SQLite checkpointer and the scoring executor,
invoke the graph with a context, and report where the run stopped (a gate awaiting review, or
done).

The executor comes from the caller's :class:`Hooks` when it has one; otherwise it is opened
here around the whole run from the scoring settings: the command's options over the proposal's
``evolution`` block over the defaults (in-process), see :mod:`agents.builder`, which also
builds the run's ChromaticScorer once for the agent's context.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.types import Command

from agents.builder import (
    RenderOptions,
    ScoringOptions,
    build_chromatic_scorer,
    executor_settings,
    local_executor,
    melody_timbre,
    render_kit,
)
from agents.candidate_check import check_approved_candidates
from agents.decisions import check_review_ready
from agents.errors import RunStateError
from agents.fileio import leftover_temp_files, storage_errors
from agents.graph import AgentContext
from agents.proposal import Proposal, dump_proposal, load_proposal, read_proposal_file
from agents.run_graph import THREAD, graph_outcome, open_graph
from agents.run_outcome import RunOutcome
from agents.rundir import PHASES, RunDir
from agents.runlock import LOCK_NAME, run_lock
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.executor_settings import ExecutorSettings, open_executor
from evolution.fitness.chromatic import SongChromaticScorer
from evolution.ray_executor import PoolStartError
from music.errors import ChromaticError
from render.pipeline import RenderStep
from render.settings import RenderSettings
from scoring.emotion.mood import mood_target_summary

logger = logging.getLogger(__name__)


class ScoringSetupError(ChromaticError):
    """The scoring executor could not be started (Ray unreachable, a pool the cluster cannot
    hold, actors that never came up)."""


@dataclass(frozen=True, slots=True)
class Hooks:
    """Callbacks for progress display and the executor to score with."""

    executor: Executor | None = None
    on_phase_start: Callable[[str, int], None] | None = None
    on_generation: Callable[[GenerationStats], None] | None = None
    on_render_step: Callable[[RenderStep], None] | None = None


@contextmanager
def scoring_hooks(
    hooks: Hooks, settings: ExecutorSettings, options: ScoringOptions | None = None
) -> Iterator[Hooks]:
    """``hooks`` with an executor: the caller's own, else one opened from ``settings`` (and
    the in-process ONNX threads of ``options``) for as long as this context lasts (Ray actors
    started here are stopped on exit)."""
    if hooks.executor is not None:
        yield hooks
        return
    logger.info("scoring with %s", settings)
    if settings.kind == "local":
        yield dataclasses.replace(
            hooks, executor=local_executor(settings, options or ScoringOptions())
        )
        return
    with ExitStack() as stack:
        try:
            executor = stack.enter_context(open_executor(settings))
        except (ValueError, PoolStartError, ConnectionError) as exc:
            raise ScoringSetupError(f"scoring executor ({settings.kind}): {exc}") from None
        yield dataclasses.replace(hooks, executor=executor)


def _context(
    run: RunDir,
    auto_approve: bool,
    hooks: Hooks,
    chromatic_scorer: SongChromaticScorer | None,
    render: RenderSettings | None = None,
) -> AgentContext:
    return AgentContext(
        run=run,
        auto_approve=auto_approve,
        executor=hooks.executor,
        chromatic_scorer=chromatic_scorer,
        on_phase_start=hooks.on_phase_start,
        on_generation=hooks.on_generation,
        on_render_step=hooks.on_render_step,
        render_settings=render,
    )


def start_run(
    *,
    proposal_path: Path,
    out_dir: Path,
    auto_approve: bool = False,
    hooks: Hooks | None = None,
    replace: bool = False,
    scoring: ScoringOptions | None = None,
    render: RenderOptions | None = None,
    iteration: str | None = None,
) -> RunOutcome:
    """Validate the proposal, create ``out_dir/<slug>/`` and run until the first gate (or to
    the end with ``auto_approve``), holding the run folder's lock throughout (a second process
    gets RunInUseError). ``iteration``: which iteration of a file of several (an
    ``iteration_id`` or a number; default the one with ``is_final: true``, else the last);
    its run folder is named after title and iteration id (:meth:`ProposalFile.run_name`).
    ``replace`` first deletes an earlier run of the same song (only a folder that is a run
    directory, never one another process is using). ``scoring``: the command's scoring options
    (:class:`~agents.builder.ScoringOptions`: the executor, used when ``hooks`` brings none,
    and the scorer model). ``render``: the command's render options, kept with the run for
    its render. A run
    that fails before its first phase wrote candidates leaves no folder."""
    source = read_proposal_file(proposal_path)
    index = source.select(iteration)
    proposal = source.proposal(index)
    options = scoring or ScoringOptions()
    settings = executor_settings(proposal, options)
    rendering = (render or RenderOptions()).settings()
    render_kit(proposal, rendering, proposal_file=proposal_path)  # a bad kit stops it here
    melody_timbre(proposal, rendering, proposal_file=proposal_path)  # and a bad timbre
    run = RunDir(out_dir / source.run_name(index, proposal))
    with storage_errors(run.root):
        made = [p for p in (run.root, *run.root.parents) if not p.exists()]
        run.root.mkdir(parents=True, exist_ok=True)
        with run_lock(run.root, command="run"):
            if replace and run.checkpoints.exists() and run.proposal.exists():
                _clear_run(run)
            if run.checkpoints.exists():
                raise RunStateError(
                    f"{run.root}: a run already exists here -- continue it with "
                    f"`chromatic resume {run.root}`, start it over with `chromatic run "
                    f"{proposal_path} --replace` (deletes that run), or pass another --out folder"
                )
            # Only a folder this run made (or emptied) is removed when the run fails.
            owned = all(p.name == LOCK_NAME for p in run.root.iterdir())
            try:
                return _first_invoke(
                    run, proposal, auto_approve, hooks, (settings, options), rendering
                )
            except Exception:
                if owned and not run.review(PHASES[0]).is_file():
                    # Failed before its first phase wrote candidates: nothing to resume.
                    shutil.rmtree(run.root, ignore_errors=True)
                    for folder in made[1:]:  # the --out folders made for it, if still empty
                        with contextlib.suppress(OSError):
                            folder.rmdir()
                raise


def _first_invoke(
    run: RunDir,
    proposal: Proposal,
    auto_approve: bool,
    hooks: Hooks | None,
    scoring: tuple[ExecutorSettings, ScoringOptions],
    rendering: RenderSettings | None,
) -> RunOutcome:
    settings, options = scoring
    with scoring_hooks(hooks or Hooks(), settings, options) as scored:
        chromatic_scorer = build_chromatic_scorer(proposal, options)
        target = mood_target_summary(proposal.mood)
        dump_proposal(proposal, run.proposal, shown={"mood_target": target} if target else None)
        with open_graph(run) as graph:
            start: dict[str, Any] = {"run_dir": str(run.root), "phases": {}}
            if rendering is not None:
                start["render_settings"] = rendering.to_dict()
            context = _context(run, auto_approve, scored, chromatic_scorer, rendering)
            graph.invoke(start, THREAD, context=context)
            return graph_outcome(graph, run)


def _clear_run(run: RunDir) -> None:
    """Delete everything in the run folder but its lock (which this process holds)."""
    for child in run.root.iterdir():
        if child.name == LOCK_NAME:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def resume_run(
    *,
    run_dir: Path,
    auto_approve: bool = False,
    hooks: Hooks | None = None,
    scoring: ScoringOptions | None = None,
    render: RenderOptions | None = None,
) -> RunOutcome:
    """Continue from the last checkpoint: past a gate once its review.yml is valid and has an
    approval, or re-run the node a crash interrupted. ``scoring``: the command's scoring options
    over the run's proposal.yml (:mod:`agents.builder`); ``render``: render options for this
    command's render (else those the run was started with)."""
    run = RunDir(run_dir).require_existing()
    with storage_errors(run.root), run_lock(run.root, command="resume"):
        for tmp in leftover_temp_files(run.root):
            logger.info("removing %s (a write killed before its rename)", tmp)
            tmp.unlink()
        return _resume(run, auto_approve, hooks, scoring, render)


def _resume(
    run: RunDir,
    auto_approve: bool,
    hooks: Hooks | None,
    scoring: ScoringOptions | None,
    render: RenderOptions | None,
) -> RunOutcome:
    # A hand-edited proposal.yml (and the scoring options) are checked before anything runs.
    options = scoring or ScoringOptions()
    proposal = load_proposal(run.proposal)
    settings = executor_settings(proposal, options)
    with open_graph(run) as graph:
        stored = graph.get_state(THREAD).values.get("render_settings") or {}
        base = RenderSettings().with_values(stored)
        rendering = (render or RenderOptions()).settings(base)
        outcome = graph_outcome(graph, run)
        if outcome.status == "done":
            return outcome
        render_kit(proposal, rendering or base, proposal_file=run.proposal)
        melody_timbre(proposal, rendering or base, proposal_file=run.proposal)
        if outcome.status == "not started":
            raise RunStateError(
                f"{run.root}: the run has no checkpoint to resume -- start it again"
            )
        if outcome.status == "awaiting_review":
            assert outcome.phase is not None
            values = graph.get_state(THREAD).values
            ids = list(values["phases"][outcome.phase]["candidates"])
            if not auto_approve:
                approvals = check_review_ready(run, outcome.phase, ids)
                check_approved_candidates(
                    run,
                    outcome.phase,
                    approvals,
                    form=values["plan"],
                    info=values["phases"][outcome.phase],
                    meter=proposal.meter,
                    bpm=proposal.bpm,
                )
        with scoring_hooks(hooks or Hooks(), settings, options) as scored:
            chromatic_scorer = build_chromatic_scorer(load_proposal(run.proposal), options)
            ctx = _context(run, auto_approve, scored, chromatic_scorer, rendering)
            command: Command[Any] | None = (
                Command(resume=True) if outcome.status == "awaiting_review" else None
            )
            graph.invoke(command, THREAD, context=ctx)
        return graph_outcome(graph, run)
