"""Enhancement streamed in pieces (Enhancer.stream, enhance_dir, enhance_file) equals the whole-signal enhancement
it replaced (tests/reference_enhance.py) sample for sample and byte for byte, with a chain that draws z, and
its memory does not grow with the file's length."""
import os
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from common.audio import audio
from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_dir, enhance_file
from tests import reference_enhance
from tests.conftest import HalfChain


class ZChain:
    """A stand-in chain of two stages whose last one adds a drawn z: outputs equal only for equal z draws. Its
    own generator: TensorFlow's global seed sequence is shared with whatever else the process runs."""

    def __init__(self):
        self.z = tf.random.Generator.from_seed(7)

    def __call__(self, w):
        return [w, 0.5 * w + 0.01 * self.z.normal(tf.shape(w))]


def seeded(overlap=0.0, batch=3, all_stages=False):
    return Enhancer(ZChain(), 512, 0.95, batch, overlap, all_stages=all_stages, eager=True)


@pytest.mark.parametrize("overlap", [0.0, 0.5, 0.25])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("length", [1, 511, 512, 513, 5000])
def test_any_pieces_give_the_whole_signals_output(overlap, batch, length):
    rng = np.random.default_rng(length)
    x = rng.uniform(-0.5, 0.5, length).astype(np.float32)
    cuts = sorted(rng.integers(0, length + 1, 4))
    for all_stages in (False, True):
        whole = reference_enhance.process(seeded(overlap, batch, all_stages), x)
        streamed = np.concatenate(list(seeded(overlap, batch, all_stages).stream(np.split(x, cuts))), axis=-1)
        assert streamed.dtype == np.float32 and np.array_equal(streamed, whole)
        assert np.array_equal(seeded(overlap, batch, all_stages).process(x), whole)


def test_an_empty_signal_gives_an_empty_output():
    assert seeded().process(np.zeros(0, np.float32)).shape == (0,)
    assert seeded(0.5, all_stages=True).process(np.zeros(0, np.float32)).shape == (2, 0)


def without_peak_time(wav: bytes) -> bytes:
    """The file's bytes with the write time in libsndfile's PEAK chunk (float wavs) zeroed: two writes of the same
    samples in different seconds differ there and nowhere else."""
    at = wav.find(b"PEAK")
    return wav if at < 0 else wav[:at + 12] + bytes(4) + wav[at + 16:]


@pytest.mark.parametrize("rate,channels,frames,subtype", [
    (16000, 1, 9000, "PCM_16"), (44100, 2, 20000, "PCM_24"), (8000, 1, 7000, "FLOAT"), (22050, 3, 5000, "PCM_16"),
    (44100, 1, 1, "PCM_16")])
def test_a_file_in_blocks_equals_the_whole_file(tmp_path, monkeypatch, rate, channels, frames, subtype):
    monkeypatch.setattr(audio, "BLOCK", 777)  # many blocks, none aligned with the windows or the batches
    x = 0.6 * np.random.default_rng(frames).uniform(-1, 1, (frames, channels)).squeeze(axis=1 if channels == 1 else ())
    sf.write(tmp_path / "in.wav", x, rate, subtype=subtype)
    enhance_file(seeded(0.5), str(tmp_path / "in.wav"), str(tmp_path / "streamed.wav"))
    read, _ = sf.read(tmp_path / "in.wav", dtype="float64")
    y = reference_enhance.enhance_signal(seeded(0.5), read, rate)
    audio.write_wav(tmp_path / "whole.wav", np.clip(y, -1, 1) if subtype != "FLOAT" else y, rate, subtype)
    streamed, whole = ((tmp_path / name).read_bytes() for name in ("streamed.wav", "whole.wav"))
    assert without_peak_time(streamed) == without_peak_time(whole)
    assert sorted(os.listdir(tmp_path)) == ["in.wav", "streamed.wav", "whole.wav"]  # no temporary file left


def test_test_mode_in_blocks_equals_the_whole_files(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "BLOCK", 1000)
    (tmp_path / "in").mkdir()
    for n, length in enumerate((300, 4321)):
        sf.write(tmp_path / "in" / f"{n}.wav", np.random.default_rng(n).integers(-9000, 9000, length, dtype=np.int16),
                 16000, subtype="PCM_16")
    assert enhance_dir(seeded(), str(tmp_path / "in"), str(tmp_path / "streamed")) == 0
    enhancer = seeded()
    for n in (0, 1):
        samples = audio.read_wav_int16(tmp_path / "in" / f"{n}.wav")
        audio.write_wav(tmp_path / f"whole{n}.wav", reference_enhance.process(enhancer, audio.normalize(samples)))
        assert (tmp_path / "streamed" / f"{n}.wav").read_bytes() == (tmp_path / f"whole{n}.wav").read_bytes()


def test_a_file_that_fails_midway_leaves_no_output(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "BLOCK", 1000)
    sf.write(tmp_path / "in.wav", np.zeros(5000), 16000, subtype="PCM_16")
    reads = []

    def failing(path, frames=None, dtype="float64"):
        for block in real(path, frames, dtype):
            reads.append(len(block))
            if len(reads) == 3:
                raise audio.AudioError(path, "unreadable audio data (injected)")
            yield block
    real = audio.read_blocks
    monkeypatch.setattr(audio, "read_blocks", failing)
    with pytest.raises(audio.AudioError, match="injected"):
        enhance_file(seeded(), str(tmp_path / "in.wav"), str(tmp_path / "out.wav"))
    assert os.listdir(tmp_path) == ["in.wav"]


def peak_bytes(tmp_path, seconds: int) -> int:
    path = tmp_path / f"{seconds}.wav"
    sf.write(path, np.random.default_rng(0).integers(-9000, 9000, seconds * 16000, dtype=np.int16), 16000,
             subtype="PCM_16")
    enhancer = Enhancer(HalfChain(), 512, 0.95, batch=16, eager=True)
    tracemalloc.start()
    enhance_file(enhancer, str(path), str(tmp_path / f"{seconds}_out.wav"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_the_files_length(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "BLOCK", 16000)
    short, long = peak_bytes(tmp_path, 4), peak_bytes(tmp_path, 40)
    assert long < 1.5 * short, (short, long)  # the whole 40 s file would be 10 times the 4 s one
