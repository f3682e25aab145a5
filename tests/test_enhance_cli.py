"""scripts/enhance.py: any rate, channels, length and sample format in, the same out."""
import os

import numpy as np
import pytest
import soundfile as sf

from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_file
from scripts import enhance
from tests.conftest import HalfChain


@pytest.mark.parametrize("rate,channels,frames,subtype", [
    (8000, 1, 12000, "PCM_16"), (44100, 2, 50000, "FLOAT"), (44100, 1, 30000, "PCM_24"),
    (16000, 2, 3, "PCM_16"), (44100, 1, 1, "PCM_16")])
def test_output_keeps_rate_channels_length_and_format(tiny_run, tmp_path, rate, channels, frames, subtype):
    x = 0.3 * np.random.default_rng(frames).uniform(-1, 1, (frames, channels))
    sf.write(tmp_path / "in.wav", x, rate, subtype=subtype)
    assert enhance.main(["--run", str(tiny_run), str(tmp_path / "in.wav")]) == 0
    info = sf.info(str(tmp_path / "in_enhanced.wav"))
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (rate, channels, frames, subtype)
    assert np.all(np.isfinite(sf.read(str(tmp_path / "in_enhanced.wav"))[0]))


@pytest.mark.parametrize("rate", [8000, 44100])
def test_each_channel_is_enhanced_on_its_own_through_the_resampling(tmp_path, rate):
    t = np.arange(int(0.5 * rate)) / rate
    x = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 1000 * t)], axis=1)
    sf.write(tmp_path / "in.wav", x, rate, subtype="FLOAT")
    enhance_file(Enhancer(HalfChain(), canvas=512, preemph=0.95, batch=4), str(tmp_path / "in.wav"),
                 str(tmp_path / "out.wav"))
    y, _ = sf.read(tmp_path / "out.wav")
    assert y.shape == x.shape
    inner = slice(rate // 20, -rate // 20)  # away from the resampler's edge transients
    np.testing.assert_allclose(y[inner], 0.5 * x[inner], atol=3e-3)


def test_directory_mode_skips_unusable_files_by_name(tiny_run, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "good.wav", np.zeros(4000), 22050, subtype="PCM_16")
    sf.write(src / "empty.wav", np.zeros(0), 16000, subtype="PCM_16")
    (src / "junk.wav").write_text("not audio")
    assert enhance.main(["--run", str(tiny_run), str(src), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "empty.wav: is empty" in err and "junk.wav: unreadable" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.wav"]


@pytest.mark.parametrize("content,words", [(None, "no such file"), (b"RIFF????", "unreadable")])
def test_a_bad_single_input_is_an_error_naming_it(tiny_run, tmp_path, content, words):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit, match=f"bad.wav.*{words}|{words}.*bad.wav"):
        enhance.main(["--run", str(tiny_run), str(path)])


def test_not_a_run_directory_is_an_error(tmp_path):
    sf.write(tmp_path / "in.wav", np.zeros(100), 16000)
    with pytest.raises(SystemExit, match="flags.json: no such file"):
        enhance.main(["--run", str(tmp_path), str(tmp_path / "in.wav")])


def test_an_output_that_is_its_input_is_refused_before_any_work(tiny_run, demo_dir, tmp_path, capsys):
    """enhance.py F -o F and DIR -o DIR, test mode and enhance_checkpoints into their input folder (also by a
    symlink or a relative path), make_tfrecords with one folder for clean and noisy: refused, nothing written."""
    import make_tfrecords
    from common.main import main as main_py
    from scripts import enhance_checkpoints

    noisy = tmp_path / "noisy"
    noisy.mkdir()
    wav = noisy / "a.wav"
    sf.write(str(wav), 0.1 * np.ones(4000), 16000, subtype="PCM_16")
    before = wav.read_bytes()
    os.symlink(noisy, tmp_path / "link")
    for argv in ([str(wav), "-o", str(wav)], [str(noisy), "-o", str(tmp_path / "link")]):
        with pytest.raises(SystemExit, match="the output is the input"):
            enhance.main(["--run", str(tiny_run), *argv])
    with pytest.raises(SystemExit):
        main_py("isegan", ["--save_path", str(tiny_run), "--test_wav_dir", str(noisy),
                           "--save_clean_path", str(tmp_path / "link" / ".")])
    assert "is --test_wav_dir: the noisy files would be overwritten" in capsys.readouterr().err
    enhanced_0 = tiny_run / "enhanced" / "0"
    enhanced_0.parent.mkdir(exist_ok=True)
    os.symlink(noisy, enhanced_0)
    try:
        with pytest.raises(SystemExit, match="the output is the input"):
            enhance_checkpoints.main(["--run", str(tiny_run), "--test_wav_dir", str(noisy)])
    finally:
        os.remove(enhanced_0)
    with pytest.raises(SystemExit):
        make_tfrecords.main(["--wav_dir", str(noisy), "--noisy_dir", str(tmp_path / "link"), "--save_path",
                             str(tmp_path)])
    assert "--wav_dir and --noisy_dir are one folder" in capsys.readouterr().err
    assert wav.read_bytes() == before and sorted(p.name for p in noisy.iterdir()) == ["a.wav"]
