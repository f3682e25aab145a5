import numpy as np
import pytest
import soundfile as sf

from common.audio import audio


@pytest.mark.parametrize("length,expected", [
    (0, 0), (16383, 0), (16384, 1), (16384 + 8191, 1), (16384 + 8192, 2), (16384 + 8193, 2),
    (5 * 8192, 4), (5 * 8192 - 1, 3)])
def test_slice_counts_at_boundaries(length, expected):
    x = np.arange(length, dtype=np.int16)
    w = audio.slice_windows(x)
    assert w.shape == (expected, 16384)
    for i in range(expected):  # window i starts at i * hop and is a verbatim copy
        np.testing.assert_array_equal(w[i], x[i * 8192:i * 8192 + 16384])


def test_slice_custom_canvas_and_dtype():
    x = np.arange(100, dtype=np.int16)
    w = audio.slice_windows(x, canvas=32)
    assert w.shape == ((100 - 32) // 16 + 1, 32) and w.dtype == np.int16


def test_normalisation_formula_and_range():
    x = np.array([-32768, 0, 32767], np.int16)
    y = audio.normalize(x)
    np.testing.assert_allclose(y, [-1.0, 1.0 / 65535, 1.0], rtol=0, atol=1e-7)
    full = audio.normalize(np.arange(-32768, 32768, dtype=np.int16))
    assert full.min() >= -1.0 and full.max() <= 1.0 and np.all(np.diff(full) > 0)


def test_pre_emphasis_definition_and_exact_inverse():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 5000)).astype(np.float32)
    y = audio.pre_emphasis(x, 0.95)
    np.testing.assert_allclose(y[:, 0], x[:, 0])
    np.testing.assert_allclose(y[:, 1:], x[:, 1:] - 0.95 * x[:, :-1], atol=1e-6)
    assert np.max(np.abs(audio.de_emphasis(y, 0.95) - x)) < 1e-5
    np.testing.assert_array_equal(audio.pre_emphasis(x, 0.0), x)


def test_to_int16_rounds_and_clips():
    np.testing.assert_array_equal(audio.to_int16(np.array([-2.0, -1.0, 0.49 / 32768, 1.0, 3.0])),
                                  [-32768, -32768, 0, 32767, 32767])


def write(path, x, sr=16000):
    sf.write(str(path), x, sr, subtype="PCM_16")
    return path


def test_read_refuses_bad_files_by_name(tmp_path):
    stereo = write(tmp_path / "stereo.wav", np.zeros((100, 2)))
    rate = write(tmp_path / "rate.wav", np.zeros(100), 48000)
    empty = write(tmp_path / "empty.wav", np.zeros(0))
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file")
    for path, words in [(stereo, "2 channels"), (rate, "48000 Hz"), (empty, "empty"),
                        (junk, "unreadable"), (tmp_path / "missing.wav", "unreadable")]:
        with pytest.raises(audio.AudioError, match=words) as e:
            audio.read_wav_int16(path)
        assert str(path) in str(e.value)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_every_sample_format_reads_as_the_same_int16(tmp_path, rng, subtype):
    """One convention for all formats (float full scale 1.0 = int16 32768): the same audio written in any
    format reads back as the same samples (8-bit holds multiples of 256 only)."""
    x = rng.integers(-32768, 32767, 4000).astype(np.int16)
    if subtype == "PCM_U8":
        x = (x // 256 * 256).astype(np.int16)
    sf.write(str(tmp_path / "x.wav"), x / 32768.0, 16000, subtype=subtype)
    got = audio.read_wav_int16(tmp_path / "x.wav")
    assert got.dtype == np.int16 and np.abs(x).max() > 16000
    np.testing.assert_array_equal(got, x)


def test_float_beyond_full_scale_is_clipped(tmp_path):
    sf.write(str(tmp_path / "loud.wav"), np.array([-1.5, -0.5, 0.5, 1.5]), 16000, subtype="FLOAT")
    np.testing.assert_array_equal(audio.read_wav_int16(tmp_path / "loud.wav"), [-32768, -16384, 16384, 32767])


def test_read_resamples_only_when_asked(tmp_path):
    t = np.arange(48000) / 48000
    path = write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 48000)
    x = audio.read_wav_int16(path, allow_resample=True)
    assert x.dtype == np.int16 and len(x) == 16000
    ref = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    assert np.max(np.abs(x[200:-200] / 32768 - ref[200:-200])) < 2e-3


def test_write_wav_round_trip_and_no_leftovers(tmp_path):
    x = (np.arange(1000) - 500).astype(np.int16)
    audio.write_wav(tmp_path / "a" / "x.wav", x)
    np.testing.assert_array_equal(audio.read_wav_int16(tmp_path / "a" / "x.wav"), x)
    f = np.linspace(-1, 1, 100, dtype=np.float32)
    audio.write_wav(tmp_path / "a" / "f.wav", f)
    assert sf.info(str(tmp_path / "a" / "f.wav")).subtype == "FLOAT"
    np.testing.assert_array_equal(sf.read(str(tmp_path / "a" / "f.wav"), dtype="float32")[0], f)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["f.wav", "x.wav"]
