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

from agents.fileio import write_text_atomic
from agents.phases.chords import PHASE as CHORDS
from agents.phases.chords import promote_chords, run_chords_phase
from agents.plan import make_plan
from agents.proposal import Proposal, load_proposal
from agents.review import approved_labels, read_decisions, set_decision
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor

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
    done: bool


@dataclass
class AgentContext:
    """What nodes need and the checkpoint must not hold: loaded objects and callbacks."""

    run: RunDir
    auto_approve: bool = False
    executor: Executor | None = None
    on_phase_start: Callable[[str, int], None] | None = None
    on_generation: Callable[[GenerationStats], None] | None = None
    _proposal: Proposal | None = field(default=None, repr=False)

    @property
    def proposal(self) -> Proposal:
        if self._proposal is None:
            self._proposal = load_proposal(self.run.proposal)
        return self._proposal


def _plan(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    p = runtime.context.proposal
    plan = make_plan(sections=[(s.name, s.bars) for s in p.sections], meter=p.meter, bpm=p.bpm)
    data = plan.to_dict()
    write_text_atomic(runtime.context.run.plan, json.dumps(data, indent=2) + "\n")
    return {"plan": data}


def _plan_of(state: SongState, proposal: Proposal) -> Any:
    return make_plan(
        sections=[(s["name"], s["bars"]) for s in state["plan"]["sections"]],
        meter=proposal.meter,
        bpm=proposal.bpm,
    )


def _chords(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    p = ctx.proposal
    if ctx.on_phase_start is not None:
        ctx.on_phase_start(CHORDS, p.evolution.generations)
    phase = run_chords_phase(
        proposal=p,
        plan=_plan_of(state, p),
        run=ctx.run,
        executor=ctx.executor,
        on_generation=ctx.on_generation,
    )
    return {"phases": {CHORDS: phase}}


def _auto_approve(run: RunDir, phase: str, ids: list[str], labels: list[str]) -> None:
    """Approve the top candidates, one per section label, in rank order. Idempotent: a label or
    candidate already approved (by a person, or before a crash) is left as it is."""
    path = run.review(phase)
    taken = approved_labels(read_decisions(path, known_ids=ids))
    free_ids = [i for i in ids if i not in taken.values()]
    for label in labels:
        if label in taken or not free_ids:
            continue
        set_decision(
            path,
            candidate_id=free_ids.pop(0),
            status="approved",
            label=label,
            notes=None,
            known_ids=ids,
        )


def _gate(phase: str) -> Any:
    def gate(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        ctx = runtime.context
        info = state["phases"][phase]
        if not ctx.auto_approve:
            interrupt({"phase": phase, "review": info["review"]})
        ids = list(info["candidates"])
        path = ctx.run.review(phase)
        if ctx.auto_approve:
            _auto_approve(ctx.run, phase, ids, list(state["plan"]["labels"]))
        approvals = approved_labels(read_decisions(path, known_ids=ids))
        if not approvals:
            raise ValueError(f"{path}: no candidate approved")  # the runner checks first
        return {"phases": {phase: {"approvals": approvals, "status": "approved"}}}

    gate.__name__ = f"gate_{phase}"
    return gate


def _promote(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    approvals = state["phases"][CHORDS]["approvals"]
    promoted = promote_chords(run=runtime.context.run, approvals=approvals)
    return {"phases": {CHORDS: {"approved": promoted, "status": "promoted"}}}


def _done(state: SongState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    return {"done": True}


def build_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The agent graph, compiled with ``checkpointer`` (SQLite in the run directory)."""
    g: StateGraph[Any, Any, Any, Any] = StateGraph(SongState, context_schema=AgentContext)
    g.add_node("plan", _plan)
    g.add_node("chords", _chords)
    g.add_node("gate_chords", _gate(CHORDS))
    g.add_node("promote_chords", _promote)
    g.add_node("done", _done)
    g.add_edge(START, "plan")
    g.add_edge("plan", "chords")
    g.add_edge("chords", "gate_chords")
    g.add_edge("gate_chords", "promote_chords")
    g.add_edge("promote_chords", "done")
    g.add_edge("done", END)
    return g.compile(checkpointer=checkpointer)
