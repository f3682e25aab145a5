"""Test-time enhancement with a trained chain (docs/design.md §9, docs/decisions.md §5), and of any audio file.

The whole utterance is normalised and pre-emphasised, cut into non-overlapping canvas-long windows
(the last zero-padded), all windows of a file go through the chain in batched calls, the last stage's
output is trimmed to the input length and de-emphasised, and written as a float32 wav under the input's
name. `overlap` > 0 (not the paper's) instead uses windows with that overlap, blended with a Hann window.
`enhance_file` takes any rate and channel count (each channel resampled to 16 kHz, enhanced and resampled
back) and writes the input's rate, channels, sample format and length.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import scipy.signal
import soundfile as sf
import tensorflow as tf
from tqdm import tqdm

from common.audio import audio
from common.system.errors import InputError
from common.system.paths import refuse_output_over_input


class Enhancer:
    """Test-time enhancement of whole utterances with a chain. `all_stages`: return every stage's output
    ([stages, T]) instead of the last one's ([T]); `progress`: a progress bar over the window batches; `xla`:
    the chain's calls compiled with XLA; `eager`: the chain called eagerly, not traced into a graph (tracing
    takes seconds: quicker for a few files)."""

    def __init__(self, chain, canvas: int, preemph: float, batch: int = 64, overlap: float = 0.0,
                 all_stages: bool = False, progress: bool = False, xla: bool = False, eager: bool = False):
        self.canvas, self.preemph, self.batch, self.progress = canvas, preemph, batch, progress
        self.hop = max(1, int(round(canvas * (1.0 - overlap))))
        self.all_stages = all_stages

        def stages(w):
            return tf.cast(tf.stack(chain(w) if all_stages else chain(w)[-1:]), tf.float32)

        self._stages = stages if eager else tf.function(
            stages, input_signature=[tf.TensorSpec([None, canvas, 1], tf.float32)], jit_compile=xla)

    def windows_out(self, windows: np.ndarray) -> np.ndarray:
        """[W, canvas] → [stages, W, canvas]: the chain's output (last stage, or every stage) for each
        window, in calls of up to `batch` windows."""
        starts = range(0, len(windows), self.batch)
        out = [self._stages(windows[i:i + self.batch, :, None]).numpy()[..., 0]
               for i in tqdm(starts, unit="batch", leave=False, disable=not self.progress or len(starts) < 2)]
        return np.concatenate(out, axis=1)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """int16 samples of an utterance → the enhanced float32 signal of the same length."""
        return self.process(audio.normalize(samples))

    def process(self, x: np.ndarray) -> np.ndarray:
        """A float signal in [-1, 1] at 16 kHz → the enhanced float32 signal of the same length
        ([stages, T] with all_stages)."""
        x = audio.pre_emphasis(x, self.preemph)
        if self.hop == self.canvas:
            count = max(1, -(-len(x) // self.canvas))  # an empty signal still runs one (padding) window
            padded = np.pad(x, (0, count * self.canvas - len(x)))
            out = self.windows_out(padded.reshape(count, self.canvas))
            y = out.reshape(len(out), -1)[:, :len(x)]
        else:
            y = self._overlap_add(x)
        y = audio.de_emphasis(y, self.preemph)
        return y if self.all_stages else y[0]

    def _overlap_add(self, x: np.ndarray) -> np.ndarray:
        lead = self.canvas - self.hop  # every real sample is covered by full window weight
        count = -(-(len(x) + lead) // self.hop)
        padded = np.pad(x, (lead, count * self.hop + self.canvas - len(x) - lead))
        starts = np.arange(count) * self.hop
        out = self.windows_out(np.stack([padded[s:s + self.canvas] for s in starts]))
        w = scipy.signal.get_window("hann", self.canvas, fftbins=True).astype(np.float32)
        acc = np.zeros((len(out), len(padded)), np.float32)
        norm = np.zeros(len(padded), np.float32)
        for i, s in enumerate(starts):
            acc[:, s:s + self.canvas] += w * out[:, i]
            norm[s:s + self.canvas] += w
        return (acc / np.maximum(norm, 1e-6))[:, lead:lead + len(x)]


def enhance_dir(enhancer: Enhancer, in_dir: str, out_dir: str) -> int:
    """Enhance every .wav of in_dir into out_dir (same names); unusable files are reported by name and
    skipped. Returns the number of files that failed."""
    refuse_output_over_input(out_dir, in_dir)
    names = sorted(f for f in os.listdir(in_dir) if f.lower().endswith(".wav"))
    if not names:
        raise InputError(f"no .wav files in {in_dir}")
    failed = 0
    bar = tqdm(names, unit="file", desc=f"enhance → {out_dir}")
    for name in bar:
        try:
            samples = audio.read_wav_int16(os.path.join(in_dir, name))
        except audio.AudioError as e:
            bar.write(f"skipped: {e}", file=sys.stderr)
            failed += 1
            continue
        audio.write_wav(os.path.join(out_dir, name), enhancer(samples).astype(np.float32))
    return failed


def enhance_signal(enhancer: Enhancer, x: np.ndarray, sample_rate: int) -> np.ndarray:
    """A float signal in [-1, 1] at any rate, [T] or [T, C] → the enhanced signal of the same shape and
    rate: each channel resampled to 16 kHz, enhanced, resampled back and cut or zero-padded to T."""
    channels = np.asarray(x, np.float32).reshape(len(x), -1).T
    out = np.zeros(channels.shape, np.float32)
    for c, signal in enumerate(channels):
        x16 = audio.resample(signal, sample_rate, audio.SAMPLE_RATE)
        if len(x16):  # a few samples at a high rate can resample to none: their output stays 0
            y = audio.resample(enhancer.process(x16), audio.SAMPLE_RATE, sample_rate)[:len(x)]
            out[c, :len(y)] = y
    return out.T.reshape(np.shape(x))


def enhance_file(enhancer: Enhancer, in_path: str, out_path: str) -> None:
    """Enhance one audio file into a wav of the same rate, channels, length and sample format (float
    when the input's format has no wav equivalent). Raises audio.AudioError naming unusable input."""
    refuse_output_over_input(out_path, in_path)
    x, sample_rate = audio.read_audio(in_path)
    subtype = sf.info(in_path).subtype
    if not sf.check_format("WAV", subtype):
        subtype = "FLOAT"
    y = enhance_signal(enhancer, x, sample_rate)
    if not subtype.startswith(("FLOAT", "DOUBLE")):
        y = np.clip(y, -1.0, 1.0)  # integer formats would wrap around
    audio.write_wav(out_path, y, sample_rate, subtype=subtype)

