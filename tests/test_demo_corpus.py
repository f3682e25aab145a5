import json

import numpy as np
import pytest
import soundfile as sf

from common.audio import demo_corpus
from scripts import make_demo_corpus

SPLITS = {"train": demo_corpus.TRAIN_SNRS, "test": demo_corpus.TEST_SNRS}


def test_layout_format_and_measured_snr(demo_dir):
    listing = json.loads((demo_dir / "demo_corpus.json").read_text())
    for split, snrs in SPLITS.items():
        clean_dir, noisy_dir = demo_dir / f"clean_{split}set_wav_16k", demo_dir / f"noisy_{split}set_wav_16k"
        names = sorted(p.name for p in clean_dir.iterdir())
        assert names == sorted(p.name for p in noisy_dir.iterdir()) == sorted(listing[split])
        for name in names:
            info = sf.info(str(clean_dir / name))
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
            assert 1.2 <= info.duration <= 2.5
            clean = sf.read(str(clean_dir / name))[0]
            noisy = sf.read(str(noisy_dir / name))[0]
            target = listing[split][name]["snr_db"]
            assert target in snrs
            snr = 10 * np.log10(np.sum(clean ** 2) / np.sum((noisy - clean) ** 2))
            assert abs(snr - target) < 0.5, name


def test_all_noise_types_and_snrs_occur():
    seen = {(demo_corpus.utterance_pair(0, "train", i, 3, 0.3, 0.4)[3]["noise"],
             demo_corpus.utterance_pair(0, "train", i, 3, 0.3, 0.4)[3]["snr_db"]) for i in range(20)}
    assert {k for k, _ in seen} == set(demo_corpus.NOISE_TYPES) and len(demo_corpus.NOISE_TYPES) >= 5
    assert {s for _, s in seen} == set(demo_corpus.TRAIN_SNRS)


def test_deterministic_for_a_seed_and_different_across_seeds(demo_dir, tmp_path):
    args = ["--train_files", "12", "--test_files", "4", "--min_seconds", "1.2", "--max_seconds", "2.5"]
    assert make_demo_corpus.main(["--out_dir", str(tmp_path / "a"), "--jobs", "1", *args]) == 0
    for f in (demo_dir / "noisy_trainset_wav_16k").iterdir():  # made with 2 processes: same bytes
        assert f.read_bytes() == (tmp_path / "a" / "noisy_trainset_wav_16k" / f.name).read_bytes()
    _, c0, _, _ = demo_corpus.utterance_pair(0, "train", 0, 4, 1.0, 1.0)
    _, c1, _, _ = demo_corpus.utterance_pair(1, "train", 0, 4, 1.0, 1.0)
    assert not np.allclose(c0, c1)


def test_speech_is_speech_like():
    rng = np.random.default_rng(0)
    spk = demo_corpus.speaker(rng)
    x = demo_corpus.speech(3.0, spk, rng)
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    energy = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    assert np.mean(energy < energy.max() - 40) > 0.05  # pauses
    assert np.mean(energy > energy.max() - 20) > 0.3  # active speech
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    assert spectrum[(f > 80) & (f < 1000)].sum() > spectrum[f > 4000].sum()  # voiced energy dominates
    # a harmonic source: the autocorrelation peaks at the pitch period of voiced frames
    loud = frames[np.argmax(energy)]
    ac = np.correlate(loud, loud, "full")[len(loud) - 1:]
    lag = np.argmax(ac[30:200]) + 30
    assert 16000 / lag == pytest.approx(spk["f0"], rel=0.35)
