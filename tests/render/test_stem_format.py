"""Stem WAV headers a DAW and sox read without complaint: 24-bit PCM by default (format tag
1), 32-bit float on request in a WAVE_FORMAT_EXTENSIBLE header with its fact chunk; 48 kHz
renders give 48 kHz stems and master. Headers are checked byte by byte (sox is not needed)."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import four_parts

from music.meter import Meter
from render.assemble import build_song, plan_arrangement
from render.audio_io import decode_audio, read_audio, write_audio
from render.settings import RenderSettingError, RenderSettings
from render.stem_files import PCM_PEAK_DBFS, pcm_headroom_gain
from render.synth import Synthesizer

IEEE_FLOAT_GUID = uuid.UUID("00000003-0000-0010-8000-00aa00389b71").bytes_le


def _chunks(path: Path) -> dict[bytes, bytes]:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8  # RIFF size is exact
    out, i = {}, 12
    while i + 8 <= len(data):
        cid, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        out[cid] = data[i + 8 : i + 8 + size]
        i += 8 + size + (size & 1)
    assert i == len(data), "chunks run exactly to the end of the file"
    return out


def _tone(frames: int = 4410) -> np.ndarray:
    t = np.arange(frames) / 44100
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1).astype(np.float32)


def test_pcm24_has_a_plain_pcm_header(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.wav", _tone(), 44100)
    fmt = _chunks(path)[b"fmt "]
    tag, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", fmt[:16])
    assert (tag, channels, rate, bits) == (1, 2, 44100, 24)
    assert align == 6 and byte_rate == 44100 * 6
    assert len(fmt) == 16  # PCM needs no extension
    assert len(_chunks(path)[b"data"]) == 4410 * 6


def test_float32_has_an_extensible_header_and_a_fact_chunk(tmp_path: Path) -> None:
    loud = _tone() * 3.0  # a stem may go beyond full scale before mixing
    path = write_audio(tmp_path / "f.wav", loud, 44100, wav_format="float32")
    chunks = _chunks(path)
    fmt = chunks[b"fmt "]
    tag, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", fmt[:16])
    assert (tag, channels, rate, bits) == (0xFFFE, 2, 44100, 32)
    assert align == 8 and byte_rate == 44100 * 8
    cb_size, valid_bits, channel_mask = struct.unpack("<HHI", fmt[16:24])
    assert (cb_size, valid_bits, channel_mask) == (22, 32, 0x3)  # front left + right
    assert fmt[24:40] == IEEE_FLOAT_GUID
    assert struct.unpack("<I", chunks[b"fact"])[0] == 4410  # frames, as non-PCM requires
    back, sr = read_audio(path)
    assert sr == 44100
    np.testing.assert_array_equal(back, loud)  # float keeps values beyond full scale


def test_an_unknown_wav_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="wav_format"):
        write_audio(tmp_path / "x.wav", _tone(), 44100, wav_format="pcm16")
    assert not list(tmp_path.iterdir())


def test_24_bit_stems_that_would_clip_are_turned_down_together() -> None:
    quiet, loud = _tone(), _tone() * 4.0
    gain = pcm_headroom_gain({"a": quiet, "b": loud})
    assert float(np.abs(loud * gain).max()) == pytest.approx(10 ** (PCM_PEAK_DBFS / 20))
    assert pcm_headroom_gain({"a": quiet}) == 1.0


def test_render_settings_allow_44100_and_48000_only() -> None:
    assert RenderSettings().sample_rate == 44100 and RenderSettings().stem_format == "pcm24"
    assert RenderSettings().with_values({"sample_rate": 48000}).sample_rate == 48000
    for bad in (22050, 96000, True):
        with pytest.raises(RenderSettingError, match="44100 or 48000"):
            RenderSettings(sample_rate=bad)
    with pytest.raises(RenderSettingError, match="pcm24 or float32"):
        RenderSettings(stem_format="flac")
    with pytest.raises(RenderSettingError, match="known"):
        RenderSettings().with_values({"samplerate": 48000})


@pytest.mark.parametrize("stem_format", ["pcm24", "float32"])
def test_a_48_khz_render_gives_48_khz_stems_and_master(tmp_path: Path, stem_format: str) -> None:
    from render.pipeline import render_song

    meter = Meter(4, 4)
    phrase = four_parts(meter, bars=1)
    approved = {name: {"verse": part} for name, part in phrase.items()}
    form = [("verse", 2)]
    arrangement = plan_arrangement(form, approved, bpm=120.0, meter=meter, phrase_qn=4.0)
    song = build_song(arrangement, approved)
    with Synthesizer(sample_rate=48000) as synth:
        result = render_song(
            tmp_path,
            song,
            sections=form,
            total_qn=arrangement.total_qn,
            synth=synth,
            stem_format=stem_format,
        )
    assert result.sample_rate == 48000 and result.stem_format == stem_format
    for path in result.stems.values():
        info = soundfile.info(str(path))
        assert info.samplerate == 48000
        assert info.subtype == ("PCM_24" if stem_format == "pcm24" else "FLOAT")
    mix, sr = read_audio(result.mix_wav)
    assert sr == 48000 and abs(mix.shape[0] / sr - arrangement.seconds) < 0.001
    assert result.mix_mp3 is not None
    mp3, mp3_sr = decode_audio(result.mix_mp3)
    assert mp3_sr == 48000 and abs(mp3.shape[0] / mp3_sr - arrangement.seconds) < 0.1
