"""A multi-resolution STFT loss (not the paper's; --stft_weight, docs/decisions.md §9): per resolution, the
spectral convergence ||(|Y| - |X|)||_F / ||X||_F plus the mean |log |Y| - log |X||, averaged over
RESOLUTIONS. The log term weighs every frequency and every quiet frame alike, where the time-domain L1 is
ruled by the loud low frequencies: it is what teaches a briefly trained G to remove high-frequency noise.

G works on pre-emphasised windows, and test mode de-emphasises its output, which multiplies the error at
frequency w by 1 / |1 - a e^-jw| (20-fold at 0 Hz for a = 0.95). The magnitudes are weighted by that gain,
so the loss measures the spectra the listener gets (the log term is unchanged by it).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

RESOLUTIONS = ((512, 128), (1024, 256), (256, 64))  # (FFT size = Hann window length, hop) in samples
MIN_LENGTH = min(n for n, _ in RESOLUTIONS)  # windows shorter than an FFT leave that resolution out
FLOOR = 1e-7  # added to the magnitudes before the log


def deemphasis_gain(n_fft: int, preemph: float) -> np.ndarray:
    """|1 / (1 - a e^-jw)| at the n_fft // 2 + 1 frequencies of an n_fft-point real FFT."""
    w = np.pi * np.arange(n_fft // 2 + 1) / (n_fft // 2)
    return 1.0 / np.abs(1.0 - preemph * np.exp(-1j * w))


def stft_loss(y, x, preemph: float = 0.0):
    """y, x [B, T, 1] float32, pre-emphasised by `preemph` -> the scalar loss of y against the reference x, over
    the resolutions whose FFT fits in T (ValueError when none does)."""
    y, x = y[..., 0], x[..., 0]
    resolutions = [(n, hop) for n, hop in RESOLUTIONS if n <= x.shape[-1]]
    if not resolutions:
        raise ValueError(f"the STFT loss needs windows of at least {MIN_LENGTH} samples, got {x.shape[-1]}")
    total = 0.0
    for n, hop in resolutions:
        gain = tf.constant(deemphasis_gain(n, preemph), tf.float32)
        mag_y = gain * tf.abs(tf.signal.stft(y, n, hop, n)) + FLOOR
        mag_x = gain * tf.abs(tf.signal.stft(x, n, hop, n)) + FLOOR
        convergence = tf.norm(mag_y - mag_x) / tf.norm(mag_x)
        log_distance = tf.reduce_mean(tf.abs(tf.math.log(mag_y) - tf.math.log(mag_x)))
        total += convergence + log_distance
    return total / len(resolutions)
