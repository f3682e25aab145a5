"""A formant-synthesised speech-like signal for the tests (the metric and evaluation tests' `speech`):
syllables of an unvoiced consonant (band-passed noise) and a voiced vowel (harmonic source with a moving
pitch through three moving formant resonators), with pauses. Pure NumPy/SciPy, a pure function of its
random generator, so every test draws the same signal whatever ran before it. The demo corpus speaks with
eSpeak NG instead (common/audio/demo_corpus.py)."""
import numpy as np
import scipy.signal

SAMPLE_RATE = 16000
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
