import zipfile

import numpy as np
import pytest
import soundfile as sf

from common.audio import voicebank


def make_archive(path, names, seconds=0.5, rate=48000):
    t = np.arange(int(seconds * rate)) / rate
    with zipfile.ZipFile(path, "w") as z:
        for i, name in enumerate(names):
            tmp = path.parent / f"tmp_{i}.wav"
            sf.write(str(tmp), 0.3 * np.sin(2 * np.pi * 300 * (i + 1) * t), rate, subtype="PCM_16")
            z.write(tmp, f"clean_testset_wav/{name}")
        z.writestr("__MACOSX/clean_testset_wav/._p232_001.wav", b"junk")


def test_unpack_resample_and_layout(tmp_path):
    names = ["p232_001.wav", "p232_002.wav", "p257_003.wav"]
    make_archive(tmp_path / "clean_testset_wav.zip", names)
    out = tmp_path / "data" / "clean_testset_wav_16k"
    assert voicebank.unpack_resampled(str(tmp_path / "clean_testset_wav.zip"), str(out), 3, jobs=2) == 3
    assert sorted(p.name for p in out.iterdir()) == names
    for i, name in enumerate(names):
        x, sr = sf.read(str(out / name))
        assert sr == 16000 and sf.info(str(out / name)).subtype == "PCM_16" and len(x) == 8000
        ref = 0.3 * np.sin(2 * np.pi * 300 * (i + 1) * np.arange(8000) / 16000)
        assert np.max(np.abs(x[100:-100] - ref[100:-100])) < 2e-3
    # a second run keeps what is there (resume) and gives the same count
    before = (out / names[0]).stat().st_mtime_ns
    assert voicebank.unpack_resampled(str(tmp_path / "clean_testset_wav.zip"), str(out), 3) == 3
    assert (out / names[0]).stat().st_mtime_ns == before


def test_archive_checks_name_the_archive(tmp_path):
    make_archive(tmp_path / "a.zip", ["p1.wav", "p2.wav"])
    with pytest.raises(ValueError, match=r"a\.zip: holds 2 wav files, expected 824"):
        voicebank.check_archive(str(tmp_path / "a.zip"), 824)
    broken = tmp_path / "b.zip"
    broken.write_bytes((tmp_path / "a.zip").read_bytes()[:300])
    with pytest.raises(ValueError, match=r"b\.zip: not a readable zip"):
        voicebank.check_archive(str(broken), None)
    raw = bytearray((tmp_path / "a.zip").read_bytes())
    raw[200] ^= 0xFF  # inside the first member's data
    (tmp_path / "c.zip").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"c\.zip: member .* CRC"):
        voicebank.check_archive(str(tmp_path / "c.zip"), None)
