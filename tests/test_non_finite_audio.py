"""Float WAVs holding NaN or infinity are refused by every tool with one line naming the file and the first such
sample, and nothing is written for them; an enhanced file is finite or not written."""
import numpy as np
import pytest
import soundfile as sf

import make_tfrecords
from common.audio import audio
from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_dir, enhance_file
from common.main import main
from scripts import enhance
from tests.conftest import HalfChain

FIRST_BAD = 3000


def float_wav(path, length=8000, bad=(np.nan,) * 100, rate=16000):
    """A float WAV of quiet noise whose samples from FIRST_BAD on are `bad`."""
    x = 0.1 * np.random.default_rng(length).uniform(-1, 1, length)
    x[FIRST_BAD:FIRST_BAD + len(bad)] = bad
    sf.write(str(path), x, rate, subtype="FLOAT")
    return path


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


@pytest.mark.parametrize("bad", [(np.nan,) * 100, (np.inf, -np.inf)])
def test_every_reader_refuses_non_finite_samples_naming_the_file_and_the_first(tmp_path, bad):
    path = float_wav(tmp_path / "bad.wav", bad=bad)
    words = f"bad.wav: holds non-finite samples (NaN or infinity), the first at sample {FIRST_BAD}"
    for read in (audio.read_wav, audio.read_wav_int16, audio.read_audio,
                 lambda p: list(audio.read_blocks(p, frames=1024))):  # the first bad sample in the third block
        with pytest.raises(audio.AudioError, match=words.replace("(", r"\(").replace(")", r"\)")):
            read(path)


def test_enhance_py_refuses_a_file_with_nan_and_writes_nothing(tiny_run, tmp_path):
    src = float_wav(tmp_path / "bad.wav", length=200_000, rate=44100)
    with pytest.raises(SystemExit, match=f"error: .*bad.wav: holds non-finite samples .* sample {FIRST_BAD}"):
        enhance.main(["--run", str(tiny_run), str(src)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav"]  # no output, no part file


def test_test_mode_skips_the_file_with_nan_by_name_and_enhances_the_others(tiny_run, tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    float_wav(src / "bad.wav")
    sf.write(str(src / "good.wav"), 0.1 * np.random.default_rng(1).uniform(-1, 1, 8000), 16000, subtype="FLOAT")
    status = main("isegan", ["--save_path", str(tiny_run), "--test_wav_dir", str(src), "--save_clean_path", str(out)])
    assert status == 1
    assert f"skipped: {src / 'bad.wav'}: holds non-finite samples" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["good.wav"]
    assert np.isfinite(sf.read(str(out / "good.wav"))[0]).all()


def test_make_tfrecords_names_a_training_file_with_nan_and_writes_nothing(tmp_path, capsys):
    clean, noisy, out = tmp_path / "clean", tmp_path / "noisy", tmp_path / "out"
    for folder in (clean, noisy):
        folder.mkdir()
        sf.write(str(folder / "a.wav"), np.zeros(20000, np.int16), 16000, subtype="PCM_16")
        sf.write(str(folder / "b.wav"), np.zeros(20000, np.int16), 16000, subtype="PCM_16")
    float_wav(noisy / "b.wav", length=20000)
    args = ["--wav_dir", str(clean), "--noisy_dir", str(noisy), "--save_path", str(out), "--out_file", "t.tfrecords",
            "--jobs", "1"]
    assert make_tfrecords.main(args) == 1
    assert f"{noisy / 'b.wav'}: holds non-finite samples" in capsys.readouterr().err
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


class NanChain(HalfChain):
    """A stand-in chain whose last stage gives NaN (a diverged model)."""

    def __call__(self, w):
        return [w, w * np.float32(np.nan)]


def test_non_finite_output_is_not_written(tmp_path, capsys):
    enhancer = Enhancer(NanChain(), canvas=512, preemph=0.95, batch=4)
    src = tmp_path / "in"
    src.mkdir()
    sf.write(str(src / "x.wav"), 0.1 * np.ones(4000), 16000, subtype="FLOAT")
    with pytest.raises(audio.AudioError, match="out.wav: the model gave non-finite samples"):
        enhance_file(enhancer, str(src / "x.wav"), str(tmp_path / "out.wav"))
    assert enhance_dir(enhancer, str(src), str(tmp_path / "dir")) == 1
    assert "x.wav: the model gave non-finite samples" in capsys.readouterr().err
    assert not (tmp_path / "out.wav").exists() and not list((tmp_path / "dir").iterdir())
    assert leftovers(tmp_path) == []
