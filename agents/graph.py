"""The production agent: a LangGraph StateGraph built by :func:`build_graph`.

load -> plan -> chords (evolve, write candidates + review.yml) -> gate (interrupt) -> promote
-> done. Nodes get their dependencies from :class:`AgentContext` (passed at invoke time, never
checkpointed); the state holds only small, JSON-friendly values. The gate calls ``interrupt``
before doing anything else, because it re-runs when the graph resumes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.builder import melody_timbre, render_kit
from agents.candidate_check import check_approved_candidates
from agents.fileio import write_yaml_atomic
from agents.form import SongForm, form_of_plan, make_form
from agents.phases.bass import PHASE as BASS
from agents.phases.bass import run_bass_phase
from agents.phases.chords import PHASE as CHORDS
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote
from agents.phases.drums import PHASE as DRUMS
from agents.phases.drums import run_drums_phase
from agents.phases.melody import PHASE as MELODY
from agents.phases.melody import run_melody_phase
from agents.phases.previews_on_demand import write_missing_previews
from agents.phases.render import render_run
from agents.proposal import Proposal, load_proposal
from agents.review import (
    approved_labels,
    edit_decision,
    load_review_document,
    read_decisions,
    validate_decisions,
    write_review,
)
from agents.rundir import RunDir
from agents.steer_state import Steer, apply_import
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.fitness.chromatic import SongChromaticScorer
from music.files import write_text_atomic
from render.pipeline import RenderStep
from render.settings import RenderSettings

logger = logging.getLogger(__name__)


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(left or {})
    for k, v in (right or {}).items():
        out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) else v
    return out


class SongState(TypedDict, total=False):
    run_dir: str
    plan: dict[str, Any]
    phases: Annotated[dict[str, Any], _merge]
    render: dict[str, Any]
    #: The render settings the run was started with (RenderSettings.to_dict()).
    render_settings: dict[str, Any]
    #: A section a person regenerates or imported (agents.steer_state.Steer.to_state()), or
    #: None.
    steer: dict[str, Any] | None
    done: bool


@dataclass
class AgentContext:
    """What nodes need and the checkpoint must not hold: loaded objects and callbacks."""

    run: RunDir
    auto_approve: bool = False
    executor: Executor | None = None
    #: The run's ChromaticScorer, built once (agents.builder.build_chromatic_scorer); None:
    #: theory-only.
    chromatic_scorer: SongChromaticScorer | None = None
    on_phase_start: Callable[[str, int], None] | None = None
    on_generation: Callable[[GenerationStats], None] | None = None
    on_render_step: Callable[[RenderStep], None] | None = None
    #: Render settings given to this command (None: those the run was started with).
    render_settings: RenderSettings | None = None
    _proposal: Proposal | None = field(default=None, repr=False)

    @property
    def proposal(self) -> Proposal:
        if self._proposal is None:
            self._proposal = load_proposal(self.run.proposal)
        return self._proposal


def _plan(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    p = runtime.context.proposal
    form = make_form(sections=[(s.name, s.bars) for s in p.sections], meter=p.meter, bpm=p.bpm)
    data = form.to_dict()
    write_text_atomic(runtime.context.run.plan, json.dumps(data, indent=2) + "\n")
    return {"plan": data}


def _form_of(state: SongState, proposal: Proposal) -> SongForm:
    """The song's form from the state (saved under ``plan``)."""
    return form_of_plan(state["plan"], meter=proposal.meter, bpm=proposal.bpm)


PhaseRun = Callable[[AgentContext, SongState], dict[str, Any]]


def _runner(phase: str, run_phase: Callable[..., dict[str, Any]]) -> PhaseRun:
    """A graph phase runner around ``run_<part>_phase(*, proposal, form, run, executor,
    on_generation, chromatic_scorer, sections, kept, previews_now)``; previews are written
    while the phase generates unless the run auto-approves (nobody listens at its gate). The
    drums, bass and melody phases read what earlier gates approved from the run directory
    (``<phase>/approved/``), which promotion wrote. While a person steers a section
    (:mod:`agents.steer_state`), the phase evolves what the steer says."""

    def run(ctx: AgentContext, state: SongState) -> dict[str, Any]:
        steer = Steer.from_state(state.get("steer"))
        return run_phase(
            proposal=ctx.proposal,
            form=_form_of(state, ctx.proposal),
            run=ctx.run,
            executor=ctx.executor,
            on_generation=ctx.on_generation,
            chromatic_scorer=ctx.chromatic_scorer,
            sections=None if steer is None else steer.sections_for(phase),
            kept=None if steer is None else steer.kept_for(phase),
            previews_now=not ctx.auto_approve,
        )

    return run


#: The phases in order: each generates, stops at its gate, and promotes what was approved.
PHASE_RUNS: dict[str, PhaseRun] = {
    CHORDS: _runner(CHORDS, run_chords_phase),
    DRUMS: _runner(DRUMS, run_drums_phase),
    BASS: _runner(BASS, run_bass_phase),
    MELODY: _runner(MELODY, run_melody_phase),
}


def _generate(phase: str, runner: PhaseRun) -> Any:
    def generate(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        ctx = runtime.context
        if ctx.on_phase_start is not None:
            ctx.on_phase_start(phase, ctx.proposal.evolution.generations)
        steer = apply_import(ctx.run, Steer.from_state(state.get("steer")))
        info = runner(ctx, {**state, "steer": None if steer is None else steer.to_state()})
        note = None if steer is None else steer.note_for(phase)
        if note is not None:
            _add_to_header(ctx.run, phase, note)
        update: dict[str, Any] = {"phases": {phase: info}}
        if steer is not None:
            update["steer"] = steer.to_state()
        return update

    generate.__name__ = f"generate_{phase}"
    return generate


def _add_to_header(run: RunDir, phase: str, note: str) -> None:
    """Put ``steer: note`` in the phase's review.yml header, before the candidates."""
    doc = load_review_document(run.review(phase))
    doc.insert(list(doc).index("candidates"), "steer", note)
    write_review(run.review(phase), doc)


def _auto_approve(
    run: RunDir, phase: str, info: dict[str, Any], labels: list[str]
) -> tuple[dict[str, str], Any]:
    """Approve without stopping. Sectioned phases: the top candidate of each section, labelled
    with its section. Chords: the top candidates in rank order, one per section label.
    Idempotent: a label or candidate already approved (by a person, or before a crash) stays.
    review.yml is read once and written once, with every approval; returns ``{label:
    candidate_id}`` of the approvals it then holds, and the document as it now is on disk."""
    path = run.review(phase)
    ids = list(info["candidates"])
    doc = load_review_document(path)
    decisions = validate_decisions(path, doc, known_ids=ids)
    taken = approved_labels(decisions)
    if info.get("sections"):
        picks = [(sec_ids[0], sec) for sec, sec_ids in info["sections"].items() if sec_ids]
    else:
        free = [i for i in ids if i not in taken.values()]
        picks = list(zip(free, [lab for lab in labels if lab not in taken], strict=False))
    edited = False
    for cid, label in picks:
        if label in taken or cid in taken.values():
            continue
        decisions = edit_decision(
            path, doc, candidate_id=cid, status="approved", label=label, notes=None, known_ids=ids
        )
        edited = True
    if edited:
        write_yaml_atomic(path, doc)
    return approved_labels(decisions), doc


def _gate(phase: str) -> Any:
    def gate(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        ctx = runtime.context
        info = state["phases"][phase]
        if not ctx.auto_approve:
            interrupt({"phase": phase, "review": info["review"]})
        ids = list(info["candidates"])
        path = ctx.run.review(phase)
        if ctx.auto_approve:
            approvals, review = _auto_approve(ctx.run, phase, info, list(state["plan"]["labels"]))
            # Nobody listened at this gate: the approved candidates' previews now, the
            # others on demand (agents.phases.previews_on_demand); review.yml as just written.
            write_missing_previews(ctx.run, phase, approvals.values(), review=review)
        else:
            approvals = approved_labels(read_decisions(path, known_ids=ids))
        if not approvals:
            raise ValueError(f"{path}: no candidate approved")  # the runner checks first
        return {"phases": {phase: {"approvals": approvals, "status": "approved"}}}

    gate.__name__ = f"gate_{phase}"
    return gate


def _promote(phase: str) -> Any:
    def promote_node(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        ctx = runtime.context
        info = state["phases"][phase]
        approvals = info["approvals"]
        # A person may have edited or swapped a file since approving it.
        check_approved_candidates(
            ctx.run,
            phase,
            approvals,
            form=state["plan"],
            info=info,
            meter=ctx.proposal.meter,
            bpm=ctx.proposal.bpm,
        )
        promoted = promote(run=runtime.context.run, phase=phase, approvals=approvals)
        # A steered section's gate approves that section alone; the others stay approved.
        promoted = {**info.get("approved", {}), **promoted}
        return {"phases": {phase: {"approved": promoted, "status": "promoted"}}}

    promote_node.__name__ = f"promote_{phase}"
    return promote_node


def _render(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Assemble every phase's approved parts and render stems and the master (re-runs whole
    on resume; every file is written atomically)."""
    ctx = runtime.context
    apply_import(ctx.run, Steer.from_state(state.get("steer")))
    phases = state.get("phases", {})
    approved = {p: list(phases.get(p, {}).get("approved", {})) for p in PHASE_RUNS}
    settings = ctx.render_settings or RenderSettings().with_values(
        state.get("render_settings") or {}
    )
    manifest = render_run(
        run=ctx.run,
        proposal=ctx.proposal,
        form=state["plan"],
        approved=approved,
        settings=settings,
        on_step=ctx.on_render_step,
        kit=render_kit(ctx.proposal, settings, proposal_file=ctx.run.proposal),
        melody_timbre=melody_timbre(ctx.proposal, settings, proposal_file=ctx.run.proposal),
    )
    return {"render": manifest, "steer": None}


def _done(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    return {"done": True}


def build_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The agent graph, compiled with ``checkpointer`` (SQLite in the run directory):
    plan -> for each phase: generate -> gate -> promote -> render -> done."""
    g: StateGraph[Any, Any, Any, Any] = StateGraph(SongState, context_schema=AgentContext)
    g.add_node("plan", _plan)
    g.add_edge(START, "plan")
    previous = "plan"
    for phase, runner in PHASE_RUNS.items():
        g.add_node(f"generate_{phase}", _generate(phase, runner))
        g.add_node(f"gate_{phase}", _gate(phase))
        g.add_node(f"promote_{phase}", _promote(phase))
        g.add_edge(previous, f"generate_{phase}")
        g.add_edge(f"generate_{phase}", f"gate_{phase}")
        g.add_edge(f"gate_{phase}", f"promote_{phase}")
        previous = f"promote_{phase}"
    g.add_node("render", _render)
    g.add_edge(previous, "render")
    g.add_node("done", _done)
    g.add_edge("render", "done")
    g.add_edge("done", END)
    return g.compile(checkpointer=checkpointer)
