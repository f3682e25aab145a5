"""scripts/enhance.py: any rate, channels, length and sample format in, the same out."""
import numpy as np
import pytest
import soundfile as sf

from common.enhance import Enhancer, enhance_signal
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
def test_each_channel_is_enhanced_on_its_own_through_the_resampling(rate):
    t = np.arange(int(0.5 * rate)) / rate
    x = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 1000 * t)], axis=1)
    y = enhance_signal(Enhancer(HalfChain(), canvas=512, preemph=0.95, batch=4), x, rate)
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
