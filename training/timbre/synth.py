"""The harmonic-plus-noise synthesizer and the multi-scale spectral loss, in torch (so the
decoder can learn through them). The synthesis is :mod:`render.ddsp`'s, step for step: the
same frame hop, interpolation, phase sum, noise bands and overlap-add."""

from __future__ import annotations

import math
from typing import Final

import torch

from render.ddsp import HOP, SAMPLE_RATE, band_matrix, hann

#: FFT sizes of the multi-scale spectral loss (hop: a quarter of each).
LOSS_FFTS: Final = (2048, 1024, 512, 256, 128, 64)


def upsample(frames: torch.Tensor, n_samples: int) -> torch.Tensor:
    """``[B, T, C]`` per-frame values -> ``[B, n_samples, C]`` (linear, held at the end)."""
    t = frames.shape[1]
    x = torch.arange(n_samples, dtype=torch.float64) / HOP
    i0 = torch.clamp(torch.floor(x).long(), max=t - 1)
    i1 = torch.clamp(i0 + 1, max=t - 1)
    frac = (x - i0).to(frames.dtype)[None, :, None]
    return frames[:, i0] * (1 - frac) + frames[:, i1] * frac


def harmonic_audio(f0_hz: torch.Tensor, amplitudes: torch.Tensor) -> torch.Tensor:
    """``f0_hz [B, T]``, ``amplitudes [B, T, H]`` -> ``[B, T * HOP]``."""
    n = f0_hz.shape[1] * HOP
    f0 = upsample(f0_hz.double()[..., None], n)[..., 0]
    # Summed in float64 and wrapped to one turn before float32 (k * phase stays exact enough).
    phase = torch.remainder(torch.cumsum(2 * math.pi * f0 / SAMPLE_RATE, dim=1), 2 * math.pi)
    phase = phase.float()
    k = torch.arange(1, amplitudes.shape[2] + 1, dtype=torch.float32)
    amps = upsample(amplitudes, n)
    return torch.sum(amps * torch.sin(phase[..., None] * k), dim=2)


def noise_spectrum(generator: torch.Generator, batch: int, frames: int) -> torch.Tensor:
    """White noise as complex spectra ``[B, T, HOP + 1]`` (unit mean power)."""
    shape = (batch, frames, HOP + 1)
    re = torch.randn(shape, generator=generator)
    im = torch.randn(shape, generator=generator)
    return torch.complex(re, im) / math.sqrt(2.0)


def noise_audio(magnitudes: torch.Tensor, spectrum: torch.Tensor) -> torch.Tensor:
    """Band ``magnitudes [B, T, N]`` shaping ``spectrum [B, T, HOP + 1]`` -> ``[B, T * HOP]``."""
    b, t, n = magnitudes.shape
    bands = torch.from_numpy(band_matrix(n)).float()
    shaped = (magnitudes @ bands).to(spectrum.dtype) * spectrum
    window = torch.from_numpy(hann(2 * HOP)).float()
    frames = torch.fft.irfft(shaped, n=2 * HOP, dim=2) * window
    first, second = frames[..., :HOP], frames[..., HOP:]
    pad = torch.zeros_like(first[:, :1])
    blocks = second + torch.cat([first[:, 1:], pad], dim=1)
    return blocks.reshape(b, t * HOP)


def spectral_loss(audio: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Multi-scale spectral loss of ``audio`` against ``target`` (both ``[B, samples]``): per
    FFT size in :data:`LOSS_FFTS`, the mean L1 distance of the magnitudes plus that of their
    logs."""
    total = torch.zeros(())
    for n_fft in LOSS_FFTS:
        window = torch.hann_window(n_fft)
        spec = [
            torch.stft(x, n_fft, hop_length=n_fft // 4, window=window, return_complex=True).abs()
            for x in (audio, target)
        ]
        total = total + torch.mean(torch.abs(spec[0] - spec[1]))
        total = total + torch.mean(torch.abs(torch.log(spec[0] + 1e-7) - torch.log(spec[1] + 1e-7)))
    return total
