"""The per-process synthesizers of ``shared_synthesizer`` are reused, at most two are kept,
and ``release_shared_synthesizers`` closes them (their SoundFonts' memory goes back before a
whole-song render) so the next call loads a fresh, working one."""

from __future__ import annotations

import numpy as np
import pytest

from music.notes import Note, Part
from render import synth as synth_module
from render.synth import release_shared_synthesizers, shared_synthesizer


def test_release_closes_and_the_next_call_loads_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth_module, "_SHARED", {})  # leave other tests' synthesizers alone
    first = shared_synthesizer(backend="tinysoundfont")
    assert shared_synthesizer(backend="tinysoundfont") is first
    closed: list[str] = []
    engine_close = first._engine.close
    monkeypatch.setattr(first._engine, "close", lambda: (closed.append("x"), engine_close()))
    release_shared_synthesizers()
    assert closed == ["x"] and not synth_module._SHARED
    fresh = shared_synthesizer(backend="tinysoundfont")
    assert fresh is not first
    part = Part("melody", (Note(0.0, 1.0, 69, 100),), program=0)
    assert np.abs(fresh.render_part(part, 120.0, channels=1)).max() > 0.01


def test_at_most_two_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth_module, "_SHARED", {})
    for rate in (22050, 32000, 44100):
        shared_synthesizer(backend="tinysoundfont", sample_rate=rate)
    assert [key[2] for key in synth_module._SHARED] == [32000, 44100]
    release_shared_synthesizers()
