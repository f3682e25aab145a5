"""Objective speech-enhancement metrics as computed by the MATLAB evaluation of the SEGAN-family papers
(docs/metrics.md): PESQ, CSIG, CBAK, COVL, SSNR and STOI of an enhanced signal against its clean reference.

* PESQ: wideband P.862.2 MOS-LQO from the ITU C code (`pesq` package, mode 'wb'); the same value enters
  the composite measures.
* LLR, WSS and the segmental SNR follow Loizou's composite.m frame by frame (30 ms MATLAB-`hanning`
  frames, 7.5 ms hop, one frame fewer than would fit, LPC order 16, 25 critical bands up to 3.6 kHz,
  95 % trimming of LLR and WSS with MATLAB rounding); CSIG/CBAK/COVL are its regressions, clamped to
  [1, 5]. composite.m adds `eps` to every sample before these three; comp_snr.m (the SSNR column) does not.
* STOI: classic STOI (`pystoi`, extended=False).
`score_pair` truncates clean and enhanced to their common length, as composite.m does; `score_files`
refuses files whose lengths differ. Everything is vectorised across frames.

Silence. An all-zero enhanced signal is scored, never dropped. What each computation does on zeros decides
its value; a metric that is undefined there gets its floor (FLOORS):
* PESQ is undefined (the C code divides by the signal's zero power and returns NaN): PESQ_FLOOR = 1.0120,
  the lowest MOS-LQO the C code can return. It clips every frame's symmetric and asymmetric disturbance
  to 45 and aggregates them with weighted power means, which cannot exceed their maximum, so the raw score
  4.5 - 0.1 D - 0.0309 A is at least 4.5 - 45 (0.1 + 0.0309) = -1.3905, which the P.862.2 mapping
  0.999 + 4 / (1 + exp(-1.3669 r + 3.8224)) takes to 1.0120. (P.862's nominal raw floor -0.5 would give
  1.043, more than very noisy pairs score: docs/metrics.md §11.)
* CSIG, CBAK and COVL all take PESQ, so their input is undefined: the clamp floor 1, which is also what
  composite.m's `max(1, NaN)` returns. (LLR, WSS and segSNR themselves are finite on the eps signal.)
* SSNR is defined: comp_snr.m's 10 log10(Ex / (En + eps) + eps) is 0 dB in every frame where the clean
  signal has energy (the error is the whole signal) and -10 dB (the clamp) where it is digitally silent.
  So silence scores about 0 dB, more than an input whose segmental SNR is negative. (Its floor, -10 dB,
  is for an SNR that is not finite, which finite samples cannot give.)
* STOI: pystoi returns 0 (its eps makes the correlation of a zero envelope 0; stoi.m would divide 0 by 0,
  and 0, no correlation, is the floor for that case too).
On a signal that is not silent, a metric that is not finite is an error ('failed'). A silent clean
reference cannot be scored ('silent_clean'): the test set is broken.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pesq as pesq_lib
from pystoi import stoi as pystoi_stoi

from common.audio.audio import AudioError, SAMPLE_RATE, read_audio, resample

METRICS = ("pesq", "csig", "cbak", "covl", "ssnr", "stoi")
EPS = 2.0 ** -52  # MATLAB eps
KEEP = 0.95  # fraction of LLR / WSS frames kept (lowest distortions)
SNR_MIN, SNR_MAX = -10.0, 35.0
# WSS critical bands (Hz), as in composite.m.
BAND_CENTRES = np.array([
    50.0, 120.0, 190.0, 260.0, 330.0, 400.0, 470.0, 540.0, 617.372, 703.378, 798.717, 904.128, 1020.38,
    1148.30, 1288.72, 1442.54, 1610.70, 1794.16, 1993.93, 2211.08, 2446.71, 2701.97, 2978.04, 3276.17,
    3597.63])
BAND_WIDTHS = np.array([
    70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 77.3724, 86.0056, 95.3398, 105.411, 116.256, 127.914,
    140.423, 153.823, 168.154, 183.457, 199.776, 217.153, 235.631, 255.255, 276.072, 298.126, 321.465,
    346.136])
WSS_KMAX, WSS_KLOCMAX = 20.0, 1.0
# The lowest raw P.862 score and its P.862.2 MOS-LQO (module docstring, "Silence").
PESQ_RAW_MIN = 4.5 - 45.0 * (0.1 + 0.0309)
PESQ_FLOOR = 0.999 + 4.0 / (1.0 + math.exp(-1.3669 * PESQ_RAW_MIN + 3.8224))
FLOORS = {"pesq": PESQ_FLOOR, "csig": 1.0, "cbak": 1.0, "covl": 1.0, "ssnr": SNR_MIN, "stoi": 0.0}


class ScoringError(ValueError):
    """A pair that cannot be scored. `kind`: 'unreadable', 'wrong_rate', 'length', 'silent_clean', 'failed'
    (and 'silent' from `wideband_pesq` alone, for an all-zero enhanced signal)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def silent(x: np.ndarray) -> bool:
    """Digitally silent: every sample is zero."""
    return not np.any(x)


def matlab_round(x: float) -> int:
    """MATLAB `round`: halves away from zero (for the non-negative values used here)."""
    return int(math.floor(x + 0.5))


def frame_layout(fs: int) -> tuple[int, int]:
    """(frame length, hop) in samples: round(30 ms), floor(length / 4)."""
    length = matlab_round(30 * fs / 1000)
    return length, length // 4


def hanning(n: int) -> np.ndarray:
    """MATLAB `hanning(n)`: symmetric Hann without the zero end points."""
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.arange(1, n + 1) / (n + 1)))


def frames(x: np.ndarray, fs: int = SAMPLE_RATE) -> np.ndarray:
    """Windowed frames [N, W] as composite.m takes them: N = floor(L/S - W/S), frame k starts at k*S."""
    length, hop = frame_layout(fs)
    count = max(0, math.floor(len(x) / hop - length / hop))
    if count == 0:
        return np.zeros((0, length))
    view = np.lib.stride_tricks.sliding_window_view(np.asarray(x, np.float64), length)[::hop][:count]
    return view * hanning(length)


def trimmed_mean(values: np.ndarray, keep: float = KEEP) -> float:
    """Mean of the lowest round(keep * N) values (MATLAB rounding)."""
    return float(np.mean(np.sort(values)[:matlab_round(keep * len(values))]))


def lpc_order(fs: int) -> int:
    return 10 if fs < 10000 else 16


def sum_rows(a: np.ndarray) -> np.ndarray:
    """Sum over axis 0, one row after the other: the left-to-right order of MATLAB/Octave `sum` (NumPy
    adds pairwise only along the contiguous axis). The LPC of a digitally silent frame (eps times the
    window) is so ill-conditioned that pairwise summation moves its LLR by whole units."""
    return np.add.reduce(np.ascontiguousarray(a), axis=0)


def autocorrelation(xw: np.ndarray, order: int) -> np.ndarray:
    """Biased autocorrelation lags 0..order of each frame of [N, W]: [N, order + 1]."""
    xt = np.ascontiguousarray(xw.T)  # samples along axis 0
    n = len(xt)
    return np.stack([sum_rows(xt[:n - k] * xt[k:]) for k in range(order + 1)], axis=1)


def levinson(r: np.ndarray) -> np.ndarray:
    """Levinson-Durbin on each row of lags [N, P+1] (lpcoeff in composite.m); returns the rows
    A = [1, -a_1 .. -a_P]."""
    rt = np.ascontiguousarray(r.T)  # lags along axis 0
    order = len(rt) - 1
    a = np.zeros((order, rt.shape[1]))
    err = rt[0].copy()
    for i in range(order):
        k = (rt[i + 1] - sum_rows(a[:i] * rt[i:0:-1])) / err
        a[:i] = a[:i] - k * a[:i][::-1]
        a[i] = k
        err = (1.0 - k * k) * err
    return np.concatenate([np.ones((1, rt.shape[1])), -a]).T


def llr_frames(x: np.ndarray, y: np.ndarray, fs: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame log-likelihood ratio ln(A_y R_x A_y' / A_x R_x A_x') (no clamp, as composite.m)."""
    order = lpc_order(fs)
    rx = autocorrelation(frames(x, fs), order)
    ax = levinson(rx)
    ay = levinson(autocorrelation(frames(y, fs), order))
    lags = np.abs(np.arange(order + 1)[:, None] - np.arange(order + 1)[None, :])
    toeplitz = rx[:, lags]  # [N, P+1, P+1]
    num = np.einsum("ni,nij,nj->n", ay, toeplitz, ay)
    den = np.einsum("ni,nij,nj->n", ax, toeplitz, ax)
    return np.log(num / den)


def critical_band_filters(fs: int) -> tuple[np.ndarray, int]:
    """Gaussian critical-band weights [25, Nfft/2] over FFT bins 0..Nfft/2-1, and Nfft."""
    length, _ = frame_layout(fs)
    nfft = 2 ** math.ceil(math.log2(2 * length))
    half = nfft // 2
    centre = np.floor(BAND_CENTRES / (fs / 2) * half)
    width = BAND_WIDTHS / (fs / 2) * half
    bins = np.arange(half)
    filt = np.exp(-11.0 * ((bins[None, :] - centre[:, None]) / width[:, None]) ** 2
                  + (np.log(BAND_WIDTHS[0]) - np.log(BAND_WIDTHS))[:, None])
    return np.where(filt > math.exp(-30.0 / (2.0 * 2.303)), filt, 0.0), nfft


def _band_energies(xw: np.ndarray, filt: np.ndarray, nfft: int) -> np.ndarray:
    spec = np.abs(np.fft.rfft(xw, nfft, axis=1)[:, :nfft // 2]) ** 2
    return 10.0 * np.log10(np.maximum(spec @ filt.T, 1e-10))


def _wss_weights(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spectral slopes [N, 24] and Klatt weights [N, 24], with composite.m's nearest-peak search:
    a rising slope searches right and takes the band *before* the first non-rising slope (or band 24),
    a non-rising slope searches left and takes the band after the last rising slope (or band 1)."""
    slope = np.diff(energy, axis=1)
    nb = slope.shape[1]
    idx = np.arange(nb)
    stop_right = np.minimum.accumulate(np.where(slope <= 0, idx, nb)[:, ::-1], axis=1)[:, ::-1]
    stop_left = np.maximum.accumulate(np.where(slope > 0, idx, -1), axis=1)
    peak_band = np.where(slope > 0, stop_right - 1, stop_left + 1)
    peak = np.take_along_axis(energy, peak_band, axis=1)
    e = energy[:, :nb]
    w_max = WSS_KMAX / (WSS_KMAX + energy.max(axis=1, keepdims=True) - e)
    w_loc = WSS_KLOCMAX / (WSS_KLOCMAX + peak - e)
    return slope, w_max * w_loc


def wss_frames(x: np.ndarray, y: np.ndarray, fs: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame weighted spectral slope distance (Klatt), as composite.m."""
    filt, nfft = critical_band_filters(fs)
    sx, wx = _wss_weights(_band_energies(frames(x, fs), filt, nfft))
    sy, wy = _wss_weights(_band_energies(frames(y, fs), filt, nfft))
    w = (wx + wy) / 2.0
    return np.sum(w * (sx - sy) ** 2, axis=1) / np.sum(w, axis=1)


def segsnr_frames(x: np.ndarray, y: np.ndarray, fs: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame SNR in dB, 10 log10(Ex / (En + eps) + eps), clamped to [-10, 35]."""
    xw, yw = frames(x, fs), frames(y, fs)
    snr = 10.0 * np.log10(np.sum(xw ** 2, axis=1) / (np.sum((xw - yw) ** 2, axis=1) + EPS) + EPS)
    return np.clip(snr, SNR_MIN, SNR_MAX)


def composite(pesq_score: float, llr: float, wss: float, segsnr: float) -> tuple[float, float, float]:
    """Hu & Loizou regressions (CSIG, CBAK, COVL), each clamped to [1, 5]."""
    csig = 3.093 - 1.029 * llr + 0.603 * pesq_score - 0.009 * wss
    cbak = 1.634 + 0.478 * pesq_score - 0.007 * wss + 0.063 * segsnr
    covl = 1.594 + 0.805 * pesq_score - 0.512 * llr - 0.007 * wss
    return tuple(float(np.clip(v, 1.0, 5.0)) for v in (csig, cbak, covl))


def wideband_pesq(clean: np.ndarray, enhanced: np.ndarray) -> float:
    """P.862.2 MOS-LQO at 16 kHz. Raises ScoringError: 'silent_clean' or 'silent' for an all-zero clean or
    enhanced signal (the C code would divide by its zero power; `score_pair` scores the latter at the
    floors), 'failed' for other PESQ errors."""
    if silent(clean):
        raise ScoringError("silent_clean", "the clean reference is all zeros")
    if silent(enhanced):
        raise ScoringError("silent", "the enhanced signal is all zeros")
    try:
        return float(pesq_lib.pesq(SAMPLE_RATE, clean, enhanced, "wb"))
    except pesq_lib.NoUtterancesError:
        raise ScoringError("failed", "PESQ found no utterance in the clean reference") from None
    except (pesq_lib.PesqError, ValueError) as e:
        raise ScoringError("failed", f"PESQ failed: {type(e).__name__} {e}") from None


def classic_stoi(clean: np.ndarray, enhanced: np.ndarray) -> float:
    """Classic STOI; refuses pairs with fewer than 30 non-silent frames (stoi.m would give NaN)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(pystoi_stoi(clean, enhanced, SAMPLE_RATE, extended=False))
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        raise ScoringError("failed", "STOI: fewer than 30 non-silent frames (signal too short)")
    return value


def score_pair(clean: np.ndarray, enhanced: np.ndarray) -> dict[str, float]:
    """All metrics of one 16 kHz pair: the six of METRICS plus 'llr' and 'wss' (composite's trimmed
    means). An all-zero enhanced signal gets the floors of the metrics undefined on it (module docstring).
    Raises ScoringError for a silent clean reference and for too short or non-finite input or scores."""
    n = min(len(clean), len(enhanced))
    x = np.asarray(clean, np.float64)[:n]
    y = np.asarray(enhanced, np.float64)[:n]
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ScoringError("failed", "signal contains NaN or Inf samples")
    length, hop = frame_layout(SAMPLE_RATE)
    if n < length + hop:
        raise ScoringError("failed", f"too short ({n} samples; at least {length + hop} needed)")
    if silent(x):
        raise ScoringError("silent_clean", "the clean reference is all zeros")
    pesq_score = math.nan if silent(y) else wideband_pesq(x, y)  # NaN: undefined, and so are the composites
    xe, ye = x + EPS, y + EPS  # composite.m's offset, for its own LLR / WSS / segSNR only
    llr = trimmed_mean(llr_frames(xe, ye))
    wss = trimmed_mean(wss_frames(xe, ye))
    csig, cbak, covl = composite(pesq_score, llr, wss, float(np.mean(segsnr_frames(xe, ye))))
    scores = {"pesq": pesq_score, "csig": csig, "cbak": cbak, "covl": covl,
              "ssnr": float(np.mean(segsnr_frames(x, y))), "stoi": classic_stoi(x, y), "llr": llr, "wss": wss}
    undefined = [m for m in METRICS if not math.isfinite(scores[m])]
    if undefined and not silent(y):
        raise ScoringError("failed", f"not finite: {', '.join(undefined)}")
    return {**scores, **{m: FLOORS[m] for m in undefined}}


def read_mono(path) -> tuple[np.ndarray, int]:
    """A mono wav as float64 and its sample rate; unreadable and multichannel files raise ScoringError."""
    try:
        x, sr = read_audio(path)
    except AudioError as e:
        raise ScoringError("unreadable", str(e)) from None
    if x.ndim != 1:
        raise ScoringError("unreadable", f"{path}: has {x.shape[1]} channels; mono is required")
    return x, sr


def score_files(clean_path, enhanced_path, allow_resample: bool = False) -> tuple[dict, dict[str, list[str]]]:
    """Score one pair of files: (scores, notes) with notes {'resampled': [...], 'silent': [...]}. Raises
    ScoringError if it cannot be scored: 'unreadable', 'wrong_rate' (a rate other than 16 kHz, unless
    `allow_resample`), 'length' (the lengths differ), 'silent_clean' or 'failed'."""
    (x, sr_x), (y, sr_y) = read_mono(clean_path), read_mono(enhanced_path)
    notes = {"resampled": [], "silent": []}
    for path, sr in ((clean_path, sr_x), (enhanced_path, sr_y)):
        if sr == SAMPLE_RATE:
            continue
        if not allow_resample:
            raise ScoringError("wrong_rate", f"{path}: sample rate is {sr} Hz, expected {SAMPLE_RATE} Hz "
                                             f"(pass --resample to resample it)")
        notes["resampled"].append(f"{path}: resampled from {sr} Hz to {SAMPLE_RATE} Hz")
    # Equal lengths at equal rates; at different rates, durations that differ by less than one sample of
    # the enhanced file's rate (after resampling, score_pair cuts the resampler's rounding).
    if abs(len(y) * sr_x - len(x) * sr_y) >= sr_x:
        raise ScoringError("length", f"lengths differ: clean {len(x)} samples at {sr_x} Hz, enhanced "
                                     f"{len(y)} samples at {sr_y} Hz")
    if silent(y):
        notes["silent"].append("the enhanced signal is all zeros: scored at the metric floors")
    return score_pair(resample(x, sr_x, SAMPLE_RATE), resample(y, sr_y, SAMPLE_RATE)), notes
