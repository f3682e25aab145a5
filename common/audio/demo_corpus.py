"""A deterministic, offline, speech-like stand-in for VoiceBank-DEMAND.

Speech: syllables of an unvoiced consonant (band-passed noise) and a voiced vowel (harmonic source with
a moving pitch, shaped by three moving formant resonators), with pauses; each speaker has its own
pitch, vocal-tract scale and level. Noise: white, pink, babble (other synthetic speakers), mains hum
with harmonics, and non-stationary bursts, mixed at a file-level SNR. Every file is a pure function of
(seed, split, index), so a corpus is reproducible and can be made in parallel.
"""
from __future__ import annotations

import numpy as np
import scipy.signal

from common.audio.audio import SAMPLE_RATE

LISTING_FILE = "demo_corpus.json"  # in the corpus root: every file's noise and SNR; marks a demo corpus
NOISE_TYPES = ("white", "pink", "babble", "hum", "bursts")
TRAIN_SNRS = (0.0, 5.0, 10.0, 15.0)
TEST_SNRS = (2.5, 7.5, 12.5, 17.5)
# (F1, F2, F3) in Hz of five vowels for an average adult vocal tract.
VOWELS = np.array([[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010],
                   [570, 840, 2410], [300, 870, 2240]], float)
BANDWIDTHS = np.array([80.0, 110.0, 160.0])
BLOCK = 160  # 10 ms: formant filters are updated block by block


def speaker(rng: np.random.Generator) -> dict:
    female = rng.random() < 0.5
    return {"f0": rng.uniform(170, 240) if female else rng.uniform(90, 140),
            "tract": rng.uniform(1.05, 1.18) if female else rng.uniform(0.9, 1.02),
            "level_db": rng.uniform(-28, -22), "rate": rng.uniform(0.8, 1.2)}


def _resonator(freq: float, bw: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.exp(-np.pi * bw / sr)
    a = np.array([1.0, -2.0 * r * np.cos(2 * np.pi * freq / sr), r * r])
    return np.array([a.sum()]), a  # unit gain at DC


def _formant_filter(x: np.ndarray, start: np.ndarray, end: np.ndarray, sr: int) -> np.ndarray:
    """Cascade of three resonators whose frequencies glide from `start` to `end` over the first
    40 % of the segment, updated every 10 ms with the filter state carried across blocks."""
    y = np.empty_like(x)
    states = [np.zeros(2) for _ in range(3)]
    glide = max(1, int(0.4 * len(x)))
    for b in range(0, len(x), BLOCK):
        frac = min(1.0, b / glide)
        block = x[b:b + BLOCK]
        for k in range(3):
            num, den = _resonator(start[k] + frac * (end[k] - start[k]), BANDWIDTHS[k], sr)
            block, states[k] = scipy.signal.lfilter(num, den, block, zi=states[k])
        y[b:b + BLOCK] = block
    return y


def _voiced(n: int, f0: float, formants_from, formants_to, rng, sr: int) -> np.ndarray:
    t = np.arange(n) / sr
    contour = f0 * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6.3))
                    + rng.uniform(-0.15, 0.15) * t / max(t[-1], 1e-3))
    phase = 2 * np.pi * np.cumsum(contour) / sr
    harmonics = np.arange(1, int(4000 / f0) + 1)[:, None]
    source = (np.sin(harmonics * phase) / harmonics).sum(0)  # sawtooth-like glottal spectrum
    y = _formant_filter(source, formants_from, formants_to, sr)
    return y * np.hanning(n) ** 0.3


def _unvoiced(n: int, rng, sr: int) -> np.ndarray:
    lo = rng.uniform(1500, 3500)
    sos = scipy.signal.butter(4, [lo, min(7800, lo + rng.uniform(2000, 4000))], "bandpass", fs=sr, output="sos")
    return scipy.signal.sosfilt(sos, rng.standard_normal(n)) * np.hanning(n) * 0.5


def speech(seconds: float, spk: dict, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """An utterance of about `seconds`, starting and ending with a short pause."""
    total = int(round(seconds * sr))
    pieces, length = [np.zeros(int(rng.uniform(0.05, 0.2) * sr))], 0
    prev = VOWELS[rng.integers(len(VOWELS))] * spk["tract"]
    while length < total * 0.85:
        if rng.random() < 0.6:
            pieces.append(_unvoiced(int(rng.uniform(0.04, 0.12) * sr / spk["rate"]), rng, sr))
        target = VOWELS[rng.integers(len(VOWELS))] * spk["tract"]
        n = int(rng.uniform(0.08, 0.3) * sr / spk["rate"])
        pieces.append(_voiced(n, spk["f0"] * rng.uniform(0.9, 1.1), prev, target, rng, sr))
        prev = target
        if rng.random() < 0.2:
            pieces.append(np.zeros(int(rng.uniform(0.1, 0.35) * sr)))
        length = sum(len(p) for p in pieces)
    x = np.concatenate(pieces)[:total]
    x = np.pad(x, (0, total - len(x)))
    rms = np.sqrt(np.mean(x ** 2)) + 1e-12
    return x * (10 ** (spk["level_db"] / 20) / rms)


def noise(kind: str, n: int, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Unit-RMS noise of one of NOISE_TYPES."""
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        spec = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / sr)
        x = np.fft.irfft(spec / np.sqrt(np.maximum(f, 20.0)), n)
    elif kind == "babble":
        x = sum(np.roll(speech(n / sr, speaker(rng), rng, sr), rng.integers(n)) for _ in range(5))
    elif kind == "hum":
        t = np.arange(n) / sr
        mains = rng.choice([50.0, 60.0])
        x = sum(np.sin(2 * np.pi * k * mains * t + rng.uniform(0, 6.3)) / k for k in range(1, 9))
        x = x + 0.05 * rng.standard_normal(n)
    elif kind == "bursts":
        x = 0.05 * rng.standard_normal(n)
        for _ in range(max(1, int(rng.uniform(2, 5) * n / sr))):
            length = int(rng.uniform(0.05, 0.3) * sr)
            start = rng.integers(0, max(1, n - length))
            lo = rng.uniform(100, 3000)
            sos = scipy.signal.butter(2, [lo, min(7500.0, lo * rng.uniform(1.5, 3))], "bandpass", fs=sr, output="sos")
            burst = scipy.signal.sosfilt(sos, rng.standard_normal(length)) * np.exp(-np.arange(length) / (0.2 * length))
            x[start:start + length] += burst * rng.uniform(2, 8)
    else:
        raise ValueError(f"unknown noise type {kind!r}; choose from {NOISE_TYPES}")
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-12)


def mix(clean: np.ndarray, unit_noise: np.ndarray, snr_db: float, peak: float = 0.95):
    """(clean, noisy) scaled together so that the noisy peak stays below `peak`; SNR over the file."""
    gain = np.sqrt(np.mean(clean ** 2) / 10 ** (snr_db / 10))
    noisy = clean + gain * unit_noise
    scale = min(1.0, peak / np.max(np.abs(noisy)))
    return clean * scale, noisy * scale


def utterance_pair(seed: int, split: str, index: int, n_speakers: int,
                   min_seconds: float, max_seconds: float) -> tuple[str, np.ndarray, np.ndarray, dict]:
    """One (name, clean, noisy, info) example; a pure function of its arguments."""
    split_id = {"train": 0, "test": 1}[split]
    spk_id = index % n_speakers
    spk = speaker(np.random.default_rng([seed, split_id, 10_000 + spk_id]))
    rng = np.random.default_rng([seed, split_id, index])
    snrs = TRAIN_SNRS if split == "train" else TEST_SNRS
    kind = NOISE_TYPES[index % len(NOISE_TYPES)]
    snr = snrs[(index // len(NOISE_TYPES)) % len(snrs)]
    seconds = rng.uniform(min_seconds, max_seconds)
    clean = speech(seconds, spk, rng)
    # a recording-room floor 45 dB below the speech (VoiceBank's clean files have one too; digital
    # silence would make the LLR of pause frames, and so CSIG/COVL, meaningless)
    clean = clean + np.sqrt(np.mean(clean ** 2)) * 10 ** (-45 / 20) * rng.standard_normal(len(clean))
    clean, noisy = mix(clean, noise(kind, len(clean), rng), snr)
    speaker_no = (200 if split == "train" else 900) + spk_id
    name = f"p{speaker_no:03d}_{index // n_speakers + 1:03d}.wav"
    return name, clean, noisy, {"noise": kind, "snr_db": snr}
