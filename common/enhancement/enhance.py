"""Test-time enhancement of a signal with a trained chain (docs/design.md §9, docs/decisions.md §5).

The utterance is pre-emphasised, cut into non-overlapping canvas-long windows (the last zero-padded), the
windows go through the chain in batched calls, the last stage's output is trimmed to the input length and
de-emphasised. `overlap` > 0 (not the paper's) instead uses windows with that overlap, blended with a Hann
window. A signal of any length streams through in pieces, in memory bounded by the batch (`Enhancer.stream`);
common/enhancement/enhance_files.py reads and writes files that way.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import scipy.signal
import tensorflow as tf

from common.audio import audio


class Enhancer:
    """Test-time enhancement of whole utterances with a chain. `all_stages`: return every stage's output
    ([stages, T]) instead of the last one's ([T]); `progress`: enhance_file shows a bar over the audio; `xla`:
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
        return np.concatenate([self._stages(windows[i:i + self.batch, :, None]).numpy()[..., 0]
                               for i in range(0, len(windows), self.batch)], axis=1)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """int16 samples of an utterance → the enhanced float32 signal of the same length."""
        return self.process(audio.normalize(samples))

    def process(self, x: np.ndarray) -> np.ndarray:
        """A float signal in [-1, 1] at 16 kHz → the enhanced float32 signal of the same length
        ([stages, T] with all_stages)."""
        chunks = list(self.stream([x]))
        return np.concatenate(chunks, axis=-1)

    def stream(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Consecutive pieces of one float signal in [-1, 1] at 16 kHz → the pieces of its enhanced float32
        signal ([n], or [stages, n] with all_stages), ending with the last: their concatenation is the same,
        sample for sample, whatever the pieces (one piece: `process`). Memory holds about `batch` windows
        whatever the signal's length: windows go through the chain as soon as `batch` of them are complete,
        in the same calls (so the same z) as for the whole signal at once."""
        stream = _WindowStream(self)
        for chunk in chunks:
            yield from stream.push(np.asarray(chunk, np.float32))
        yield from stream.finish()


class _WindowStream:
    """The state of one signal going through an Enhancer: pre-emphasis → windows (the paper's, or overlapping
    ones blended with a Hann window) → the chain, `batch` windows a call → de-emphasis, each filter carrying
    its state across pieces. Positions are those of the padded signal: `lead` = canvas − hop zeros, then the
    signal (so every sample is under full window weight), then zeros up to the last window's end."""

    def __init__(self, enhancer: Enhancer):
        self.e = enhancer
        self.lead = enhancer.canvas - enhancer.hop
        self.pending = np.zeros(self.lead, np.float32)  # pre-emphasised, from the next window's start on
        self.received = self.emitted = self.windows = 0  # signal samples in and out, windows run
        self.to_drop = self.lead  # outputs before the signal's first sample
        self.acc = self.norm = None  # overlap: the sums over windows not yet final (the last lead positions)
        self.pre_state = self.de_state = None  # the filters' states (lfilter zi)
        self.weight = scipy.signal.get_window("hann", enhancer.canvas, fftbins=True).astype(np.float32)

    def push(self, x: np.ndarray) -> Iterator[np.ndarray]:
        if self.e.preemph > 0 and len(x):
            if self.pre_state is None:
                self.pre_state = np.zeros(1, np.float32)
            x, self.pre_state = scipy.signal.lfilter([1.0, -self.e.preemph], [1.0], x, zi=self.pre_state)
            x = x.astype(np.float32)
        self.received += len(x)
        self.pending = np.concatenate([self.pending, x])
        full = (self.e.batch - 1) * self.e.hop + self.e.canvas  # the samples of a batch of windows
        while len(self.pending) >= full:
            yield from self._run(self.e.batch)

    def finish(self) -> Iterator[np.ndarray]:
        total = max(1, -(-(self.received + self.lead) // self.e.hop))  # windows over the whole signal
        left = total - self.windows
        self.pending = np.pad(self.pending, (0, max(0, (left - 1) * self.e.hop + self.e.canvas - len(self.pending))))
        while left > 0:
            yield from self._run(min(self.e.batch, left))
            left -= min(self.e.batch, left)

    def _run(self, count: int) -> Iterator[np.ndarray]:
        """The next `count` windows through the chain; yields the outputs that are then final."""
        canvas, hop = self.e.canvas, self.e.hop
        starts = np.arange(count) * hop
        out = self.e.windows_out(np.stack([self.pending[s:s + canvas] for s in starts]))
        self.windows += count
        self.pending = self.pending[count * hop:]
        if hop == canvas:  # the paper's windows: the outputs side by side
            y = out.reshape(len(out), -1)
        else:  # each position: the Hann-weighted sum over the windows covering it, over the sum of the weights
            acc = np.zeros((len(out), (count - 1) * hop + canvas), np.float32)
            norm = np.zeros(acc.shape[1], np.float32)
            if self.acc is not None:
                acc[:, :self.lead], norm[:self.lead] = self.acc, self.norm
            for i, s in enumerate(starts):
                acc[:, s:s + canvas] += self.weight * out[:, i]
                norm[s:s + canvas] += self.weight
            final = count * hop  # later windows start here: what lies before is complete
            self.acc, self.norm = acc[:, final:], norm[final:]
            y = acc[:, :final] / np.maximum(norm[:final], 1e-6)
        drop, self.to_drop = min(self.to_drop, y.shape[1]), self.to_drop - min(self.to_drop, y.shape[1])
        y = y[:, drop:drop + self.received - self.emitted]  # the padding after the signal's end goes
        self.emitted += y.shape[1]
        if self.e.preemph > 0 and y.shape[1]:  # (an empty piece would lose the filter's state)
            if self.de_state is None:
                self.de_state = np.zeros((len(y), 1))
            y, self.de_state = scipy.signal.lfilter([1.0], [1.0, -self.e.preemph], y.astype(np.float64), axis=-1,
                                                    zi=self.de_state)
        y = y.astype(np.float32)
        yield y if self.e.all_stages else y[0]
