"""The planner's form: the default form and a proposal's sections are framed by an intro and an
outro where the form allows, and no phase evolves a framing section."""

from __future__ import annotations

from agents.form import DEFAULT_FORM, FRAME_MIN_BARS, form_of_plan, make_form
from agents.phases.approved import follows_another, leads_into_another
from music.meter import Meter

METER = Meter(4, 4)


def test_the_default_form_gets_an_intro_and_an_outro_no_phase_evolves() -> None:
    form = make_form(sections=[], meter=METER, bpm=100)
    names = [s.name for s in form.sections]
    assert names == ["intro", *(n for n, _ in DEFAULT_FORM), "outro"]
    assert form.sections[0].framing and form.sections[-1].framing
    assert form.sections[0].bars == form.phrase_bars == form.sections[-1].bars
    assert form.labels == ("verse", "chorus")  # what the phases evolve
    assert form.total_bars == sum(b for _, b in DEFAULT_FORM) + 2 * form.phrase_bars
    # the drums hear them: the first verse follows the intro, the last chorus leads out
    assert follows_another(form, "verse") and leads_into_another(form, "chorus")


def test_a_proposals_own_intro_or_outro_is_kept_and_evolved() -> None:
    form = make_form(
        sections=[("Intro", 4), ("verse", 8), ("chorus", 8), ("coda", 2)], meter=METER, bpm=90
    )
    assert [(s.name, s.framing) for s in form.sections] == [
        ("intro", False),
        ("verse", False),
        ("chorus", False),
        ("coda", False),
    ]
    assert form.labels == ("intro", "verse", "chorus", "coda")
    only_intro = make_form(sections=[("intro", 4), ("verse", 8), ("verse", 8)], meter=METER, bpm=90)
    assert [(s.name, s.framing) for s in only_intro.sections][-1] == ("outro", True)


def test_a_short_or_single_section_form_is_not_framed() -> None:
    short = make_form(sections=[("verse", 4), ("chorus", 4)], meter=METER, bpm=90)
    assert [s.name for s in short.sections] == ["verse", "chorus"]
    assert short.total_bars < FRAME_MIN_BARS
    single = make_form(sections=[("verse", 32)], meter=METER, bpm=90)
    assert [s.name for s in single.sections] == ["verse"]
    one_bar_phrase = make_form(sections=[("a", 1), ("b", 16)], meter=METER, bpm=90)
    assert [s.name for s in one_bar_phrase.sections] == ["a", "b"]


def test_the_saved_form_rebuilds_the_same_form() -> None:
    form = make_form(sections=[("verse", 8), ("chorus", 8)], meter=METER, bpm=100)
    data = form.to_dict()
    assert data["sections"][0] == {"name": "intro", "bars": 4, "framing": True}
    assert data["sections"][1] == {"name": "verse", "bars": 8}
    assert data["labels"] == ["verse", "chorus"]
    assert form_of_plan(data, meter=METER, bpm=100) == form
