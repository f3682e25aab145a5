import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import soundfile as sf

from common.audio import demo_corpus
from scripts import make_demo_corpus

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
    """eSpeak NG speech through our voices: pauses and active speech, most energy in the voiced band but
    consonants above 4 kHz (fricatives), and a harmonic source at a pitch inside the speaker's range."""
    rng = np.random.default_rng(0)
    spk = demo_corpus.speaker(rng)
    x = demo_corpus.speech(3.0, spk, rng)
    assert len(x) == 48000
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    energy = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    assert np.mean(energy < energy.max() - 40) > 0.05  # pauses
    assert np.mean(energy > energy.max() - 20) > 0.3  # active speech
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    assert spectrum[(f > 80) & (f < 1000)].sum() > spectrum[f > 4000].sum()  # voiced energy dominates
    high = [10 * np.log10(np.sum(np.abs(np.fft.rfft(fr)[64:]) ** 2) / np.sum(np.abs(np.fft.rfft(fr)) ** 2) + 1e-12)
            for fr in frames[energy > energy.max() - 30]]
    assert max(high) > -6  # some frames mostly above 3.2 kHz: fricatives
    loud = frames[np.argmax(energy)]  # a harmonic source: autocorrelation peaks at the pitch period
    ac = np.correlate(loud, loud, "full")[len(loud) - 1:]
    lag = np.argmax(ac[30:250]) + 30
    low, top = spk["voice"].pitch
    assert 0.7 * low <= 16000 / lag <= 1.3 * top


def test_noise_types_differ_in_spectrum():
    """Each noise type has its own spectral shape: the vehicle's energy sits below 500 Hz, babble's in the
    speech band, and none is white."""
    def low_share(kind):
        x = demo_corpus.noise(kind, 32000, np.random.default_rng(3))
        p = np.abs(np.fft.rfft(x)) ** 2
        f = np.fft.rfftfreq(len(x), 1 / 16000)
        return p[f < 500].sum() / p.sum()
    shares = {k: low_share(k) for k in demo_corpus.NOISE_TYPES}
    assert shares["vehicle"] > 0.8 and all(v > 500 / 8000 * 2 for v in shares.values()), shares
    assert len({round(v, 2) for v in shares.values()}) == len(shares)


def test_a_corpus_of_other_settings_is_made_anew_with_its_records_and_an_equal_one_is_kept(tmp_path):
    args = ["--out_dir", str(tmp_path), "--train_files", "2", "--test_files", "1", "--min_seconds", "1",
            "--max_seconds", "1.2", "--jobs", "1"]
    assert make_demo_corpus.main(args) == 0
    listing = tmp_path / "demo_corpus.json"
    made = listing.stat().st_mtime_ns
    assert make_demo_corpus.main(args) == 0 and listing.stat().st_mtime_ns == made  # up to date: untouched
    other_size = [a if a != "2" else "3" for a in args]
    assert make_demo_corpus.main([*other_size, "--only_if_outdated"]) == 0  # the run scripts: any size will do
    assert listing.stat().st_mtime_ns == made
    (tmp_path / "segan.tfrecords").write_bytes(b"records of the old corpus")
    stale = json.loads(listing.read_text())
    stale["settings"]["generator"] = "formant synthesiser"
    listing.write_text(json.dumps(stale))
    assert make_demo_corpus.main(args) == 0
    assert json.loads(listing.read_text())["settings"]["generator"] == demo_corpus.GENERATOR
    assert not (tmp_path / "segan.tfrecords").exists()
    assert len(list((tmp_path / "clean_trainset_wav_16k").iterdir())) == 2


def test_recording_floor_has_voicebanks_band_powers():
    """The clean files' floor: each band's power relative to unit speech power as FLOOR_BANDS_DB says (a white
    floor would put 0-62 Hz some 35 dB lower), and a different floor per draw."""
    floor = demo_corpus.recording_floor(16000 * 10, np.random.default_rng(4))
    power = np.abs(np.fft.rfft(floor)) ** 2
    f = np.fft.rfftfreq(len(floor), 1 / 16000)
    for (low, high), db in demo_corpus.FLOOR_BANDS_DB:
        share = power[(f >= low) & (f < high)].sum() / power.sum()
        assert 10 * np.log10(share * np.mean(floor ** 2)) == pytest.approx(db, abs=0.1), (low, high)
    assert not np.allclose(floor[:100], demo_corpus.recording_floor(16000 * 10, np.random.default_rng(5))[:100])


@pytest.mark.parametrize("length", ["short", "long"])
def test_any_temporary_folder_works_and_the_worker_processes_leave_nothing_in_it(length, tmp_path):
    """eSpeak's voice files live only while a voice is set (worker processes end without running finalisers), in a
    folder of a path short enough for eSpeak NG (a long TMPDIR: /tmp instead)."""
    temporary = tempfile.mkdtemp(prefix="t" if length == "short" else "t" * 40)  # 40: too long for eSpeak
    try:
        out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_demo_corpus.py"), "--out_dir",
                              str(tmp_path / "corpus"), "--train_files", "2", "--test_files", "2", "--min_seconds",
                              "1", "--max_seconds", "1.5", "--jobs", "2"], capture_output=True, text=True,
                             timeout=300, env={**os.environ, "TMPDIR": temporary})
        assert out.returncode == 0, out.stderr[-2000:]
        assert len(list((tmp_path / "corpus" / "clean_trainset_wav_16k").iterdir())) == 2
        assert os.listdir(temporary) == []
    finally:
        shutil.rmtree(temporary)
