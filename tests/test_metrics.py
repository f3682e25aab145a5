"""common/audio/metrics.py against the docs/metrics.md formulas (slow per-frame versions written here), identity and
monotonicity properties, the floors of silent outputs, and the documented handling of length mismatch and
bad files."""
import numpy as np
import pesq as pesq_lib
import pytest
import scipy.linalg
import soundfile as sf
from pystoi import stoi as pystoi_stoi

from common.audio import audio, metrics
from tests.conftest import noisy, speech

FS = 16000
W, S = 480, 120  # 30 ms frames, 7.5 ms hop at 16 kHz
WINDOW = 0.5 * (1 - np.cos(2 * np.pi * np.arange(1, W + 1) / (W + 1)))  # MATLAB hanning(480)


# --- slow references, one frame at a time, straight from docs/metrics.md §2 --------------------------------

def left_to_right(v):
    """Sum in MATLAB's order, one element after the other (a cumulative sum is sequential)."""
    return np.cumsum(v)[-1] if len(v) else 0.0


def slow_frames(x):
    return [x[k * S:k * S + W] * WINDOW for k in range(int(np.floor(len(x) / S - W / S)))]


def slow_lpc(frame, order=16):
    r = [left_to_right(frame[:W - k] * frame[k:]) for k in range(order + 1)]
    a, err = [], r[0]
    for i in range(order):
        k = (r[i + 1] - left_to_right(np.array([a[j] * r[i - j] for j in range(i)]))) / err
        a = [a[j] - k * a[i - 1 - j] for j in range(i)] + [k]
        err = (1 - k * k) * err
    return np.array(r), np.array([1.0] + [-c for c in a])


def slow_llr(x, y):
    out = []
    for fx, fy in zip(slow_frames(x), slow_frames(y)):
        rx, ax = slow_lpc(fx)
        _, ay = slow_lpc(fy)
        t = scipy.linalg.toeplitz(rx)
        out.append(np.log((ay @ t @ ay) / (ax @ t @ ax)))
    return np.array(out)


def slow_band_filters():
    half, bins = 512, np.arange(512)
    rows = []
    for cf, bw in zip(metrics.BAND_CENTRES, metrics.BAND_WIDTHS):
        f = np.exp(-11 * ((bins - np.floor(cf / 8000 * half)) / (bw / 8000 * half)) ** 2 + np.log(70) - np.log(bw))
        rows.append(np.where(f > np.exp(-30 / (2 * 2.303)), f, 0.0))
    return np.array(rows)


def slow_weights(e, s):
    """Klatt weights with composite.m's nearest-peak search (composite.m's 1-based loops, shifted to 0-based)."""
    w = []
    for i in range(24):
        n = i
        if s[i] > 0:
            while n < 24 and s[n] > 0:
                n += 1
            peak = e[n - 1]
        else:
            while n >= 0 and s[n] <= 0:
                n -= 1
            peak = e[n + 1]
        w.append(20 / (20 + e.max() - e[i]) * 1 / (1 + peak - e[i]))
    return np.array(w)


def slow_wss(x, y):
    filt = slow_band_filters()
    out = []
    for fx, fy in zip(slow_frames(x), slow_frames(y)):
        ex = 10 * np.log10(np.maximum([np.sum(np.abs(np.fft.fft(fx, 1024)[:512]) ** 2 * f) for f in filt], 1e-10))
        ey = 10 * np.log10(np.maximum([np.sum(np.abs(np.fft.fft(fy, 1024)[:512]) ** 2 * f) for f in filt], 1e-10))
        sx, sy = np.diff(ex), np.diff(ey)
        w = (slow_weights(ex, sx) + slow_weights(ey, sy)) / 2
        out.append(np.sum(w * (sx - sy) ** 2) / np.sum(w))
    return np.array(out)


def test_slow_references_self_check():
    # Fixed points of the hand-written references themselves: a frame against itself.
    x = speech(0.2, 3)
    np.testing.assert_array_equal(slow_llr(x, x), 0.0)
    np.testing.assert_array_equal(slow_wss(x, x), 0.0)


# --- framing, trimming and the band table ------------------------------------------------------------

@pytest.mark.parametrize("length,count", [(100, 0), (599, 0), (600, 1), (719, 1), (720, 2), (48000, 396), (48119, 396)])
def test_frame_count_drops_the_last_possible_frame(length, count):
    f = metrics.frames(np.ones(length))
    assert f.shape == (count, W)
    if count:  # MATLAB hanning: symmetric, no zero end points
        np.testing.assert_allclose(f[-1], WINDOW, rtol=0, atol=1e-15)
        assert f[0, 0] > 0 and f[0, 0] == pytest.approx(f[0, -1], rel=1e-12)


def test_trimmed_mean_uses_matlab_rounding():
    # 0.95 * 30 = 28.5: MATLAB keeps 29 frames, Python's round would keep 28.
    values = np.arange(30.0)[::-1]
    assert metrics.trimmed_mean(values) == pytest.approx(np.mean(np.arange(29.0)))
    assert metrics.trimmed_mean(np.arange(20.0)) == pytest.approx(np.mean(np.arange(19.0)))


def test_band_table_matches_spec():
    assert len(metrics.BAND_CENTRES) == len(metrics.BAND_WIDTHS) == 25
    assert (metrics.BAND_CENTRES[0], metrics.BAND_WIDTHS[0]) == (50.0, 70.0)
    assert (metrics.BAND_CENTRES[-1], metrics.BAND_WIDTHS[-1]) == (3597.63, 346.136)
    assert np.all(metrics.BAND_WIDTHS[:7] == 70.0) and np.all(np.diff(metrics.BAND_CENTRES) > 0)
    filt, nfft = metrics.critical_band_filters(FS)
    assert nfft == 1024 and filt.shape == (25, 512)
    np.testing.assert_allclose(filt, slow_band_filters(), rtol=1e-12, atol=0)
    assert filt[:, 240].any() and not filt[:, 256:].any()  # nothing at or above 4 kHz is looked at


# --- LLR, WSS and segmental SNR against the slow references ---------------------------------------

def pairs():
    rng = np.random.default_rng(7)
    x = speech(0.6, 11)
    shifted = np.concatenate([np.zeros(1600), x[:-1600]])  # 100 ms of digital silence in front
    return {"random": (rng.standard_normal(9600), rng.uniform(-1, 1, 9600)),
            "speech+noise": (x, noisy(x, 5)),
            "speech vs shifted copy (eps frames)": (x + metrics.EPS, shifted + metrics.EPS)}


@pytest.mark.parametrize("name", list(pairs()))
def test_llr_and_wss_match_per_frame_reference(name):
    x, y = pairs()[name]
    llr, wss = metrics.llr_frames(x, y), metrics.wss_frames(x, y)
    assert llr.shape == wss.shape == (len(x) // S - 4,)
    np.testing.assert_allclose(llr, slow_llr(x, y), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(wss, slow_wss(x, y), rtol=1e-9, atol=1e-9)


def test_segmental_snr_formula_and_clamp():
    x = speech(0.5, 5)
    assert metrics.segsnr_frames(x, x).shape == (len(x) // S - 4,) and np.all(metrics.segsnr_frames(x, x) == 35.0)
    np.testing.assert_allclose(metrics.segsnr_frames(x, -x), 10 * np.log10(1 / 4), atol=1e-9)
    np.testing.assert_allclose(metrics.segsnr_frames(x, np.zeros_like(x)), 0.0, atol=1e-9)
    assert np.all(metrics.segsnr_frames(x, 10 * x) == -10.0)  # -19 dB, clamped
    x[:2000] = 0.0  # digitally silent clean frames: 10 log10(0 / eps + eps) -> -10 dB, even against themselves
    assert np.all(metrics.segsnr_frames(x, x)[:13] == -10.0) and np.all(metrics.segsnr_frames(x, x)[14:] == 35.0)


def test_composite_regressions_and_clamps():
    csig, cbak, covl = metrics.composite(2.0, 1.0, 50.0, 5.0)
    assert csig == pytest.approx(3.093 - 1.029 * 1.0 + 0.603 * 2.0 - 0.009 * 50.0)
    assert cbak == pytest.approx(1.634 + 0.478 * 2.0 - 0.007 * 50.0 + 0.063 * 5.0)
    assert covl == pytest.approx(1.594 + 0.805 * 2.0 - 0.512 * 1.0 - 0.007 * 50.0)
    assert metrics.composite(4.644, 0.0, 0.0, 35.0) == (5.0, 5.0, 5.0)
    assert metrics.composite(1.0, 3.0, 150.0, -10.0) == (1.0, 1.0, 1.0)


# --- whole-pair properties ------------------------------------------------------------------------

def test_clean_against_itself():
    x = speech(3.0, 0)
    s = metrics.score_pair(x, x)
    assert s["pesq"] == pytest.approx(4.644, abs=5e-4)  # wideband MOS-LQO (NB would give 4.549)
    assert (s["csig"], s["cbak"], s["covl"], s["ssnr"]) == (5.0, 5.0, 5.0, 35.0)
    assert s["stoi"] == pytest.approx(1.0, abs=1e-9)
    assert s["llr"] == 0.0 and s["wss"] == 0.0


def test_scores_fall_monotonically_with_snr():
    x = speech(3.0, 2)
    snrs = [40, 20, 10, 5, 0, -5]
    scores = [metrics.score_pair(x, noisy(x, snr)) for snr in snrs]
    for m in metrics.METRICS + ("llr", "wss"):
        v = np.array([s[m] for s in scores]) * (-1 if m in ("llr", "wss") else 1)
        assert np.all(np.diff(v) <= 1e-12), (m, v)
        assert v[0] > v[-1], (m, v)
    for m in ("pesq", "ssnr", "stoi"):
        assert np.all(np.diff([s[m] for s in scores]) < 0), m
    y = noisy(x, 5)  # classic STOI, not the (lower) extended one
    assert scores[3]["stoi"] == pytest.approx(pystoi_stoi(x, y, FS, extended=False), abs=1e-12)
    assert scores[3]["stoi"] > pystoi_stoi(x, y, FS, extended=True) + 0.02


def test_length_mismatch_scores_the_common_part():
    x = speech(2.0, 4)
    y = noisy(x, 10)
    longer = np.concatenate([y, np.random.default_rng(0).standard_normal(4000)])
    assert metrics.score_pair(x, longer) == metrics.score_pair(x, y)
    assert metrics.score_pair(x[:-3000], y) == metrics.score_pair(x[:-3000], y[:-3000])


def test_silent_clean_short_and_non_finite_pairs_raise_scoring_errors(monkeypatch):
    x = speech(2.0, 6)
    for enhanced in (x, np.zeros_like(x)):
        with pytest.raises(metrics.ScoringError) as e:
            metrics.score_pair(np.zeros_like(x), enhanced)
        assert e.value.kind == "silent_clean"
    for clean, enhanced in ((x[:500], x[:500]), (x[:3000], x[:3000]), (x, np.where(x > 0.01, np.nan, x))):
        with pytest.raises(metrics.ScoringError) as e:
            metrics.score_pair(clean, enhanced)
        assert e.value.kind == "failed"

    def no_utterance(*args):
        raise pesq_lib.NoUtterancesError("no utterances")
    monkeypatch.setattr(pesq_lib, "pesq", no_utterance)
    with pytest.raises(metrics.ScoringError) as e:
        metrics.score_pair(x, x)
    assert e.value.kind == "failed" and "no utterance" in e.value.detail


# --- silence: what each computation does on zeros, and the floors --------------------------------------

def test_pesq_floor_is_the_lowest_score_the_c_code_can_return():
    raw = 4.5 - 0.1 * 45 - 0.0309 * 45  # both disturbances at their per-frame clip, 45
    assert metrics.PESQ_FLOOR == pytest.approx(0.999 + 4 / (1 + np.exp(-1.3669 * raw + 3.8224)), abs=1e-12)
    assert metrics.PESQ_FLOOR == pytest.approx(1.0120, abs=1e-4)
    x = speech(3.0, 0)
    rng = np.random.default_rng(0)
    harsh = [1e-12 * rng.standard_normal(len(x)), noisy(x, -20), rng.standard_normal(len(x))]
    scores = [metrics.wideband_pesq(x, y) for y in harsh]
    assert min(scores) < 1.0427  # below P.862's nominal raw floor -0.5 mapped: that one is no floor
    assert all(s > metrics.PESQ_FLOOR for s in scores)


def test_silent_enhanced_signal_is_scored_at_the_floors():
    x = speech(2.0, 6)
    zeros = np.zeros_like(x)
    with pytest.raises(ValueError):  # the C code returns NaN: PESQ is undefined on silence
        pesq_lib.pesq(FS, x, zeros, "wb")
    assert pystoi_stoi(x, zeros, FS, extended=False) == 0.0  # pystoi's eps: no correlation
    s = metrics.score_pair(x, zeros)
    assert {m: s[m] for m in ("pesq", "csig", "cbak", "covl", "stoi")} == {
        "pesq": metrics.PESQ_FLOOR, "csig": 1.0, "cbak": 1.0, "covl": 1.0, "stoi": 0.0}
    assert np.isfinite(s["llr"]) and np.isfinite(s["wss"])  # composite's own inputs are defined; PESQ is not
    assert s["ssnr"] == pytest.approx(0.0, abs=1e-9)  # comp_snr.m: the error is the whole signal
    x[:8000] = 0.0  # digitally silent clean frames: -10 dB (the clamp), as comp_snr.m gives
    s = metrics.score_pair(x, zeros)
    assert s["ssnr"] == pytest.approx(np.mean(metrics.segsnr_frames(x, zeros)))
    assert -10.0 < s["ssnr"] < -2.0
    with pytest.raises(metrics.ScoringError) as e:
        metrics.wideband_pesq(x, zeros)  # alone, PESQ refuses; score_pair gives the floor
    assert e.value.kind == "silent"


def test_score_files_reads_checks_and_notes(tmp_path):
    x = speech(2.0, 8)
    y = noisy(x, 10)
    audio.write_wav(tmp_path / "clean.wav", audio.to_int16(x))
    audio.write_wav(tmp_path / "enh.wav", y.astype(np.float32))
    scores, notes = metrics.score_files(tmp_path / "clean.wav", tmp_path / "enh.wav")
    x16 = audio.to_int16(x) / 32768.0
    assert scores == metrics.score_pair(x16, y.astype(np.float32))
    assert notes == {"resampled": [], "silent": []}

    for name, wav in (("long.wav", np.concatenate([y, y[:1]])), ("half.wav", y[:len(y) // 2])):
        audio.write_wav(tmp_path / name, wav.astype(np.float32))
        with pytest.raises(metrics.ScoringError) as e:
            metrics.score_files(tmp_path / "clean.wav", tmp_path / name)
        assert e.value.kind == "length" and str(len(wav)) in e.value.detail

    audio.write_wav(tmp_path / "zeros.wav", np.zeros(len(y), np.float32))
    scores, notes = metrics.score_files(tmp_path / "clean.wav", tmp_path / "zeros.wav")
    assert scores["pesq"] == metrics.PESQ_FLOOR and len(notes["silent"]) == 1

    sf.write(tmp_path / "8k.wav", y[::2], 8000)
    with pytest.raises(metrics.ScoringError) as e:
        metrics.score_files(tmp_path / "clean.wav", tmp_path / "8k.wav")
    assert e.value.kind == "wrong_rate" and "8000" in e.value.detail
    resampled, notes = metrics.score_files(tmp_path / "clean.wav", tmp_path / "8k.wav", allow_resample=True)
    assert len(notes["resampled"]) == 1 and resampled["stoi"] > 0.8
    sf.write(tmp_path / "8k_short.wav", y[:-4:2], 8000)  # two 8 kHz samples short: not a rounding difference
    with pytest.raises(metrics.ScoringError) as e:
        metrics.score_files(tmp_path / "clean.wav", tmp_path / "8k_short.wav", allow_resample=True)
    assert e.value.kind == "length"

    sf.write(tmp_path / "stereo.wav", np.stack([y, y], 1), FS)
    (tmp_path / "junk.wav").write_bytes(b"not a wav")
    for bad in ("stereo.wav", "junk.wav", "absent.wav"):
        with pytest.raises(metrics.ScoringError) as e:
            metrics.score_files(tmp_path / "clean.wav", tmp_path / bad)
        assert e.value.kind == "unreadable" and bad in e.value.detail
