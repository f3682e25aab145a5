"""Waveform I/O and the reference's signal conventions (no TensorFlow here).

* wav files are 16 kHz mono; anything else is refused with an `AudioError` naming the file,
  unless resampling is asked for;
* any sample format is read (PCM 8-32 bit, float, double), scaled alike: float full scale 1.0 = int16 32768;
* float data holding NaN or infinity is refused by every reader (`finite`), naming the file and the first such
  sample: filters and the model would carry it into every later output sample;
* samples are int16 in the records and normalised with the reference formula (2x+1)/65535;
* pre-emphasis y[n] = x[n] - a x[n-1] (y[0] = x[0]) and its exact inverse;
* training windows: `canvas` samples with hop `canvas/2`, the final partial window dropped.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

import numpy as np
import scipy.signal
import soundfile as sf

SAMPLE_RATE = 16000
CANVAS = 16384
BLOCK = 1 << 20  # frames read or resampled at a time by the streamed paths (about a minute at 16 kHz)


class AudioError(ValueError):
    """A wav file that cannot be used, with the file's path in the message."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """High-quality band-limited resampling (soxr 'VHQ'), along axis 0."""
    if sr_in == sr_out:
        return x
    import soxr

    return soxr.resample(x, sr_in, sr_out, quality="VHQ")


def resample_stream(chunks: Iterable[np.ndarray], sr_in: int, sr_out: int) -> Iterator[np.ndarray]:
    """`resample` of a float32 signal given and returned in pieces: their concatenation is `resample` of the
    whole signal, sample for sample."""
    if sr_in == sr_out:
        yield from chunks
        return
    import soxr

    stream = soxr.ResampleStream(sr_in, sr_out, 1, dtype="float32", quality="VHQ")
    for chunk in chunks:
        yield stream.resample_chunk(np.asarray(chunk, np.float32), last=False)
    yield stream.resample_chunk(np.zeros(0, np.float32), last=True)


def finite(path, x: np.ndarray, start: int = 0) -> np.ndarray:
    """`x` (samples of `path` from sample `start` on) when every value is finite, else an AudioError naming the
    file and its first non-finite sample."""
    bad = ~np.isfinite(x)
    if bad.any():
        first = start + int(np.argmax(bad.reshape(len(x), -1).any(axis=1)))
        raise AudioError(path, f"holds non-finite samples (NaN or infinity), the first at sample {first}; repair "
                               f"the file or leave it out")
    return x


def to_int16(x: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] to int16 with rounding and clipping."""
    return np.clip(np.round(np.asarray(x, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def audio_info(path):
    """soundfile's info of a readable, non-empty audio file (AudioError otherwise)."""
    try:
        info = sf.info(str(path))
    except Exception as e:  # soundfile raises several types for missing / unreadable files
        raise AudioError(path, f"unreadable audio file ({e})") from None
    if info.frames == 0:
        raise AudioError(path, "is empty (0 samples)")
    return info


def wav_info(path, sample_rate: int = SAMPLE_RATE, allow_resample: bool = False):
    """`audio_info` of a mono file at `sample_rate` (another rate allowed with allow_resample; AudioError
    otherwise)."""
    info = audio_info(path)
    if info.channels != 1:
        raise AudioError(path, f"has {info.channels} channels; mono is required")
    if info.samplerate != sample_rate and not allow_resample:
        raise AudioError(path, f"sample rate is {info.samplerate} Hz, expected {sample_rate} Hz "
                               f"(resample it, or pass the resample option)")
    return info


def read_blocks(path, frames: int | None = None, dtype: str = "float64") -> Iterator[np.ndarray]:
    """The samples of an audio file as [n, channels] blocks of up to `frames` (default BLOCK) frames, scaled as
    `read_wav` (AudioError naming the file for unreadable data)."""
    frames, start = frames or BLOCK, 0
    try:
        f = sf.SoundFile(str(path))
    except Exception as e:
        raise AudioError(path, f"unreadable audio file ({e})") from None
    with f:
        while True:
            try:
                block = f.read(frames, dtype=dtype, always_2d=True)
            except Exception as e:
                raise AudioError(path, f"unreadable audio data ({e})") from None
            if not len(block):
                return
            yield finite(path, block, start)
            start += len(block)


def read_wav(path, sample_rate: int = SAMPLE_RATE, allow_resample: bool = False) -> np.ndarray:
    """A mono wav at `sample_rate` as float64, whatever its sample format: PCM of 8 to 32 bits and float
    data are scaled alike (full scale 1.0 = int16 32768, so a PCM_16 file's samples are exact). Other rates
    are refused (or resampled when allowed), and so are stereo, empty and unreadable files."""
    info = wav_info(path, sample_rate, allow_resample)
    try:
        x, _ = sf.read(str(path), dtype="float64")
    except Exception as e:
        raise AudioError(path, f"unreadable audio data ({e})") from None
    return resample(finite(path, x), info.samplerate, sample_rate)


def read_wav_int16(path, sample_rate: int = SAMPLE_RATE, allow_resample: bool = False) -> np.ndarray:
    """`read_wav` as int16 samples (rounded; float data beyond full scale clipped): every reader of
    training, test, validation and plot audio goes through it."""
    return to_int16(read_wav(path, sample_rate, allow_resample))


def read_audio(path) -> tuple[np.ndarray, int]:
    """Any readable audio file as float64 in [-1, 1]: ([T] for mono, [T, C] otherwise), sample rate."""
    try:
        x, sr = sf.read(str(path), dtype="float64")
    except Exception as e:
        raise AudioError(path, f"unreadable audio file ({e})") from None
    if len(x) == 0:
        raise AudioError(path, "is empty (0 samples)")
    return finite(path, x), sr


def write_wav(path, x: np.ndarray, sample_rate: int = SAMPLE_RATE, subtype: str | None = None) -> None:
    """Write a wav atomically (temporary name, then rename), so no half file is ever left behind."""
    path = str(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.part{os.getpid()}"
    if subtype is None:
        subtype = "PCM_16" if np.asarray(x).dtype == np.int16 else "FLOAT"
    sf.write(tmp, x, sample_rate, subtype=subtype, format="WAV")
    os.replace(tmp, path)


@contextlib.contextmanager
def wav_writer(path, sample_rate: int, channels: int, subtype: str):
    """An open soundfile to write a wav in pieces, atomically as `write_wav`: under a temporary name, renamed
    to `path` when the block ends and removed when it raises."""
    path = str(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.part{os.getpid()}"
    f = sf.SoundFile(tmp, "w", sample_rate, channels, subtype, format="WAV")
    try:
        yield f
        f.close()
        os.replace(tmp, path)
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def normalize(x: np.ndarray) -> np.ndarray:
    """int16 samples to [-1, 1] as the reference does: (2x + 1) / 65535."""
    return ((2.0 * np.asarray(x, np.float64) + 1.0) / 65535.0).astype(np.float32)


def pre_emphasis(x: np.ndarray, coeff: float) -> np.ndarray:
    """y[0] = x[0], y[n] = x[n] - coeff * x[n-1] along the last axis; identity for coeff <= 0."""
    x = np.asarray(x, np.float32)
    if coeff <= 0:
        return x
    return scipy.signal.lfilter([1.0, -coeff], [1.0], x, axis=-1).astype(np.float32)


def de_emphasis(y: np.ndarray, coeff: float) -> np.ndarray:
    """Exact inverse of `pre_emphasis`: x[0] = y[0], x[n] = coeff * x[n-1] + y[n]."""
    y = np.asarray(y, np.float32)
    if coeff <= 0:
        return y
    return scipy.signal.lfilter([1.0], [1.0, -coeff], y.astype(np.float64), axis=-1).astype(np.float32)


def slice_windows(x: np.ndarray, canvas: int = CANVAS, hop: int | None = None) -> np.ndarray:
    """Windows of `canvas` samples starting every `hop` (default canvas/2); a final partial window
    is dropped, so a signal shorter than `canvas` gives an empty [0, canvas] array."""
    hop = canvas // 2 if hop is None else hop
    x = np.asarray(x)
    count = 0 if len(x) < canvas else (len(x) - canvas) // hop + 1
    if count == 0:
        return np.zeros((0, canvas), x.dtype)
    return np.lib.stride_tricks.sliding_window_view(x, canvas)[::hop][:count].copy()
