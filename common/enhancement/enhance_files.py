"""Enhancing files in bounded memory: each file is read, resampled, enhanced (common/enhancement/enhance.py) and
written in blocks, so a file of hours needs no more memory than one of seconds.

`enhance_dir` is test mode: 16 kHz mono wavs, read as int16 and normalised as the reference does, written as
float32 wavs under the input's names. `enhance_file` takes any rate and channel count (each channel resampled to
16 kHz, enhanced and resampled back, channel after channel through a float32 temporary file beside the output)
and writes the input's rate, channels, sample format and length. Both write atomically (audio.wav_writer), and
only finite samples: input holding NaN or infinity is refused (audio.finite), and so is such output.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator

import numpy as np
import soundfile as sf

from common.audio import audio
from common.enhancement.enhance import Enhancer
from common.system.errors import InputError
from common.system.paths import refuse_output_over_input
from common.system.progress import progress


def enhance_dir(enhancer: Enhancer, in_dir: str, out_dir: str) -> int:
    """Enhance every .wav of in_dir into out_dir (same names); unusable files are reported by name and
    skipped. Returns the number of files that failed."""
    refuse_output_over_input(out_dir, in_dir)
    names = sorted(f for f in os.listdir(in_dir) if f.lower().endswith(".wav"))
    if not names:
        raise InputError(f"no .wav files in {in_dir}")
    failed = 0
    bar = progress(names, unit="file", desc=f"enhance → {out_dir}")
    for name in bar:
        path = os.path.join(in_dir, name)
        try:
            audio.wav_info(path)
            samples = (audio.normalize(audio.to_int16(block[:, 0])) for block in audio.read_blocks(path))
            out_path = os.path.join(out_dir, name)
            with audio.wav_writer(out_path, audio.SAMPLE_RATE, 1, "FLOAT") as out:
                for y in enhancer.stream(samples):
                    out.write(finite_output(out_path, y))
        except audio.AudioError as e:
            bar.write(f"skipped: {e}", file=sys.stderr)
            failed += 1
    return failed


def enhance_file(enhancer: Enhancer, in_path: str, out_path: str) -> None:
    """Enhance one audio file into a wav of the same rate, channels, length and sample format (float when the
    input's format has no wav equivalent; integer formats clipped to full scale). Raises audio.AudioError
    naming unusable input."""
    refuse_output_over_input(out_path, in_path)
    info = audio.audio_info(in_path)
    subtype = info.subtype if sf.check_format("WAV", info.subtype) else "FLOAT"
    clip = not subtype.startswith(("FLOAT", "DOUBLE"))  # integer formats would wrap around
    bar = progress(total=round(info.frames * info.channels / info.samplerate, 1), unit="s", desc="audio enhanced",
               disable=not enhancer.progress, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]")
    with bar, contextlib.ExitStack() as stack:
        if info.channels == 1:
            channels = [enhance_channel(enhancer, in_path, 0, info, bar)]
        else:  # channel after channel (each its own z draws, as one signal), then interleaved
            folder = stack.enter_context(tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out_path))))
            for c in range(info.channels):
                with audio.wav_writer(os.path.join(folder, f"{c}.wav"), info.samplerate, 1, "FLOAT") as part:
                    for y in enhance_channel(enhancer, in_path, c, info, bar):
                        part.write(finite_output(out_path, y))
            channels = [(b[:, 0] for b in audio.read_blocks(os.path.join(folder, f"{c}.wav"), dtype="float32"))
                        for c in range(info.channels)]
        with audio.wav_writer(out_path, info.samplerate, info.channels, subtype) as out:
            for blocks in zip(*channels):
                y = finite_output(out_path, np.stack(blocks, axis=1))
                out.write(np.clip(y, -1.0, 1.0) if clip else y)


def finite_output(path: str, y: np.ndarray) -> np.ndarray:
    """`y` when finite; otherwise an AudioError naming the output, which is then not written (wav_writer)."""
    if not np.isfinite(y).all():
        raise audio.AudioError(path, "the model gave non-finite samples (NaN or infinity), so nothing is written; "
                                     "check that the run's weights are finite")
    return y


def enhance_channel(enhancer: Enhancer, path: str, channel: int, info, bar=None) -> Iterator[np.ndarray]:
    """One channel of an audio file enhanced, in float32 blocks of audio.BLOCK frames at the file's rate:
    resampled to 16 kHz, enhanced, resampled back, cut or zero-padded to the file's length (a file so short
    that it resamples to no sample at 16 kHz gives zeros)."""
    def samples():
        for block in audio.read_blocks(path):
            if bar is not None:
                bar.update(len(block) / info.samplerate)
            yield block[:, channel].astype(np.float32)

    at_16k = (x for x in audio.resample_stream(samples(), info.samplerate, audio.SAMPLE_RATE) if len(x))
    first = next(at_16k, None)
    enhanced = () if first is None else audio.resample_stream(enhancer.stream(itertools.chain([first], at_16k)),
                                                              audio.SAMPLE_RATE, info.samplerate)
    yield from _blocks_of(enhanced, info.frames, audio.BLOCK)


def _blocks_of(pieces: Iterable[np.ndarray], length: int, size: int) -> Iterator[np.ndarray]:
    """The concatenation of `pieces`, cut or zero-padded to `length`, as blocks of `size` samples (the last one
    shorter)."""
    held, total = [], 0
    for piece in pieces:
        piece = piece[:max(0, length - total)]
        held.append(piece)
        total += len(piece)
        while sum(map(len, held)) >= size:
            joined = np.concatenate(held)
            yield joined[:size]
            held = [joined[size:]]
    joined = np.concatenate([*held, np.zeros(length - total, np.float32)])
    for start in range(0, len(joined), size):
        yield joined[start:start + size]
