"""The one builder of a run: the proposal and the command's typed options in, the objects the
engine uses out -- the executor settings, the song's ChromaticScorer (built once, kept in the
agent's context) and the render settings. Defaults live in the settings types; every error names
the option (``--cpus-per-actor``) or the setting (``CHROMATIC_SCORER``) with its value and what
is allowed.

The command line (``cli/``) turns its flags into :class:`ScoringOptions` and
:class:`RenderOptions`; nothing below this module reads an option, an environment variable or
a dict of settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from agents.errors import ProposalError
from agents.phases.common import song_chromatic_scorer
from agents.proposal import Proposal
from evolution.executor import Executor, LocalExecutor
from evolution.executor_settings import ExecutorSettings, SettingError
from evolution.fitness.chromatic import SongChromaticScorer
from evolution.lazy import CPU_PROVIDERS, OnnxSettings
from inference.onnx import ModelFileError
from music.errors import InputError
from render.ddsp import load_timbre
from render.kit.errors import KitError
from render.kit.manifest import KIT_HELP, load_kit
from render.kit.play import PICKS
from render.settings import RenderSettingError, RenderSettings

#: The user-facing name of the scorer setting (the ``--scorer`` option reads it as its default).
SCORER_SETTING: Final = "CHROMATIC_SCORER"
#: The scorer value for a theory-only composite (said so in review.yml).
SCORER_OFF: Final = "off"


@dataclass(frozen=True, slots=True)
class ScoringOptions:
    """How the command asked to score (None: not given; each given one overrides the proposal's
    ``evolution`` block).

    Attributes:
        executor: ``local`` (in-process) or ``ray``; a ``ray_address`` alone implies ``ray``.
        actors: Ray scoring actors.
        cpus_per_actor: CPUs per Ray actor, also its ONNX threads.
        gpus_per_actor: GPUs per Ray actor (> 0 prefers CUDA).
        batch_size: candidates per actor call.
        ray_address: the Ray cluster to join.
        scorer: the exported scorer model (a path), ``off`` for a theory-only composite, or
            None for the shipped model.
        onnx: the ONNX settings of in-process scoring (a batch task sets them from its CPUs
            and GPUs); None: the CPU provider, 1 thread.
    """

    executor: Literal["local", "ray"] | None = None
    actors: int | None = None
    cpus_per_actor: float | None = None
    gpus_per_actor: float | None = None
    batch_size: int | None = None
    ray_address: str | None = None
    scorer: str | None = None
    onnx: OnnxSettings | None = None

    def over(self, settings: ExecutorSettings) -> ExecutorSettings:
        """``settings`` with every given option put in. Raises InputError naming the option,
        its value and what is allowed."""
        kind = self.executor
        if kind is None and self.ray_address is not None:
            kind = "ray"
        given: tuple[tuple[str, str, object], ...] = (
            ("--executor", "kind", kind),
            ("--actors", "actors", self.actors),
            ("--cpus-per-actor", "cpus_per_actor", self.cpus_per_actor),
            ("--gpus-per-actor", "gpus_per_actor", self.gpus_per_actor),
            ("--batch-size", "batch_size", self.batch_size),
            ("--ray-address", "address", self.ray_address),
        )
        for option, name, value in given:
            if value is None:
                continue
            try:
                settings = settings.with_values({name: value})
            except SettingError as exc:
                raise InputError(
                    file=None, field=option, value=value, allowed=exc.allowed
                ) from None
        return settings


#: In-process scoring whatever the proposal says (a batch task: Ray runs the tasks instead).
IN_PROCESS: Final = ScoringOptions(executor="local")


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """The render options the command was given (None: not given)."""

    sample_rate: int | None = None
    stem_format: str | None = None
    kit: str | None = None
    kit_pick: str | None = None
    melody_timbre: str | None = None

    def settings(self, base: RenderSettings | None = None) -> RenderSettings | None:
        """These options over ``base`` (default: the defaults), or None when none was given.
        Raises InputError naming the option."""
        given = {
            name: value
            for name, value in (
                ("sample_rate", self.sample_rate),
                ("stem_format", self.stem_format),
                ("kit", self.kit),
                ("kit_pick", self.kit_pick),
                ("melody_timbre", self.melody_timbre),
            )
            if value is not None
        }
        if not given:
            return None
        try:
            return (base or RenderSettings()).with_values(given)
        except RenderSettingError as exc:
            option = "--" + exc.name.replace("_", "-")
            raise InputError(
                file=None, field=option, value=exc.value, allowed=exc.allowed
            ) from None


@dataclass(frozen=True, slots=True)
class KitUse:
    """The sample kit a render plays the drums on, and how it picks hits."""

    folder: Path
    pick: str


def render_kit(
    proposal: Proposal, settings: RenderSettings | None, *, proposal_file: Path | None = None
) -> KitUse | None:
    """The kit this run renders with: ``--kit`` (in ``settings``) over the proposal's ``kit``;
    None when neither names one. The folder is checked now (:func:`render.kit.manifest.load_kit`),
    so a bad kit stops a run before it evolves anything. Raises InputError naming ``--kit``,
    or ProposalError naming the proposal's ``kit`` field, with the kit's own complaint."""
    choice = proposal.kit
    pick = (settings.kit_pick if settings else None) or (choice.pick if choice else PICKS[0])
    if settings is not None and settings.kit is not None:
        folder, field, file = Path(settings.kit).expanduser(), "--kit", None
    elif choice is not None:
        folder, field, file = Path(choice.path), "kit", proposal_file
    else:
        return None
    try:
        load_kit(folder)
    except KitError as exc:
        allowed = f"{KIT_HELP} ({exc})"
        if field == "kit":
            raise ProposalError(
                file=file, field="kit", value=str(folder), allowed=allowed
            ) from None
        raise InputError(file=None, field=field, value=str(folder), allowed=allowed) from None
    return KitUse(folder=folder.resolve(), pick=pick)


def melody_timbre(
    proposal: Proposal, settings: RenderSettings | None, *, proposal_file: Path | None = None
) -> str | None:
    """The DDSP timbre the melody stem is played on: ``--melody-timbre`` (in ``settings``)
    over the proposal's ``render.melody_timbre``; None (the SoundFont plays it) when neither
    names one. The model is loaded now, so a bad file stops a run before it evolves anything.
    Raises InputError naming ``--melody-timbre``, or ProposalError naming the proposal's
    ``render.melody_timbre``, with the value and what is allowed."""
    choice = proposal.render.melody_timbre if proposal.render else None
    if settings is not None and settings.melody_timbre is not None:
        load_timbre(settings.melody_timbre, field="--melody-timbre")
        return settings.melody_timbre
    if choice is None:
        return None
    field = "render.melody_timbre"
    try:
        load_timbre(choice, field=field)
    except InputError as exc:
        raise ProposalError(
            file=proposal_file, field=field, value=choice, allowed=exc.allowed
        ) from None
    return choice


def executor_settings(proposal: Proposal, options: ScoringOptions) -> ExecutorSettings:
    """How this run scores: ``options`` over the proposal's ``evolution`` block over the
    defaults (in-process). Raises InputError naming the option."""
    return options.over(ExecutorSettings().with_values(proposal.evolution.scoring_values()))


def local_executor(settings: ExecutorSettings, options: ScoringOptions) -> Executor:
    """The in-process executor of ``settings`` with the ONNX settings of ``options``."""
    onnx = options.onnx or OnnxSettings(providers=settings.providers or CPU_PROVIDERS)
    return LocalExecutor(batch_size=settings.batch_size, onnx=onnx)


def build_chromatic_scorer(
    proposal: Proposal, options: ScoringOptions
) -> SongChromaticScorer | None:
    """The run's ChromaticScorer: None for ``scorer: off`` (theory-only), else the scorer model of
    ``options`` (default: the shipped one), its model loaded now. The executor gives it its
    ONNX settings where it scores. Raises ModelFileError naming the model and the setting
    that chose it."""
    model = (options.scorer or "").strip() or None
    if model is not None and model.lower() == SCORER_OFF:
        return None
    try:
        return song_chromatic_scorer(proposal, model=model)
    except ModelFileError as exc:
        if model is None:
            raise
        raise ModelFileError(
            f"{SCORER_SETTING}={model}: {exc} (or unset {SCORER_SETTING} for the shipped model, "
            f"{SCORER_SETTING}={SCORER_OFF} for a theory-only composite)"
        ) from None
