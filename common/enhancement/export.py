"""A trained chain as a self-contained TensorFlow graph (common/enhancement/export_files.py writes it as a
SavedModel, a TFLite and an ONNX model): a float32 16 kHz waveform of any length in, the enhanced waveform of the
same length out, computed as test mode computes it (common/enhancement/enhance.py): pre-emphasis, the paper's
non-overlapping windows (or `overlap` with a Hann blend), every stage, the last stage's output trimmed and
de-emphasised.

z: `enhance_with_z(waveform, z)` takes it, shape [stages, windows, *z_shape] (`windows_of(T)` windows of a
T-sample waveform; draw it from N(0, 1) as test mode does); `enhance(waveform)` draws it inside from N(0, 1).
Spectral norm's u is read, never updated: every call computes as test mode's first call after loading the
checkpoint (test mode advances u once per call, which after training changes sigma only in the last digits).
All windows of a call go through the chain at once: memory grows with the waveform (scripts/enhance.py
streams instead).

De-emphasis, an IIR filter, runs as an FIR filter of DEEMPHASIS_TAPS taps of its impulse response a^k, which
differ from the IIR output by less than a^DEEMPHASIS_TAPS of the signal (below 1e-13 for a = 0.95).
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from common.nn import spectral_norm

DEEMPHASIS_TAPS = 600


class _Untracked:
    """Holds an object out of TensorFlow's object graph (the Keras chain keeps its attention blocks in dicts with
    integer keys, which a SavedModel cannot hold; its variables are saved as a flat list instead)."""

    def __init__(self, value):
        self.value = value


class ExportedEnhancer(tf.Module):

    def __init__(self, chain, stages: int, canvas: int, z_shape: tuple, preemph: float, overlap: float = 0.0):
        super().__init__()
        self._chain = _Untracked(chain)
        self.weights = list(chain.variables)  # what the functions read: saved with them
        self.stages, self.canvas, self.z_shape = stages, canvas, tuple(z_shape)
        self.preemph = preemph
        self.hop = max(1, int(round(canvas * (1.0 - overlap))))
        self.lead = canvas - self.hop
        taps = DEEMPHASIS_TAPS if preemph > 0 else 1
        self.deemphasis = tf.constant(preemph ** np.arange(taps)[::-1], tf.float32)  # oldest sample first
        self.hann = tf.constant(np.hanning(canvas + 1)[:canvas], tf.float32)  # periodic, as scipy's fftbins=True
        wave = tf.TensorSpec([None], tf.float32, name="waveform")
        z = tf.TensorSpec([stages, None, *self.z_shape], tf.float32, name="z")
        self.enhance = tf.function(self._enhance, input_signature=[wave], autograph=False)
        self.enhance_with_z = tf.function(self._enhance_with_z, input_signature=[wave, z], autograph=False)

    def windows_of(self, samples: int) -> int:
        """The windows (and the z rows) of a waveform of `samples` samples."""
        return max(1, math.ceil((samples + self.lead) / self.hop))

    def _count(self, x):
        n = tf.shape(x)[0]
        return tf.maximum(1, (n + self.lead + self.hop - 1) // self.hop)

    def _enhance(self, waveform):
        count = self._count(waveform)
        z = tf.random.normal(tf.concat([[self.stages, count], self.z_shape], axis=0))
        return {"enhanced": self._run(waveform, z)}

    def _enhance_with_z(self, waveform, z):
        return {"enhanced": self._run(waveform, z)}

    def _run(self, waveform, z):
        n, count = tf.shape(waveform)[0], self._count(waveform)
        x = waveform - self.preemph * tf.pad(waveform[:-1], [[1, 0]])  # y[n] = x[n] - a x[n-1]
        padded = tf.pad(x, [[self.lead, count * self.hop + self.canvas - n - self.lead]])
        with spectral_norm.deferred_updates():  # u read, not assigned
            out = self._chain.value(self._frames(padded, count)[:, :, None], zs=tf.unstack(z, self.stages))[-1]
        out = out[:, :, 0]
        if self.hop == self.canvas:
            y = tf.reshape(out, [-1])[:n]
        else:  # each sample: the Hann-weighted sum over the windows covering it, over the sum of the weights
            acc = self._overlap_add(out * self.hann)
            norm = self._overlap_add(tf.tile(self.hann[None], [count, 1]))
            y = (acc / tf.maximum(norm, 1e-6))[self.lead:self.lead + n]
        taps = self.deemphasis.shape[0]  # x[n] = sum_k a^k y[n - k]
        history = tf.pad(y, [[taps - 1, 0]])[None, :, None]
        return tf.nn.conv1d(history, self.deemphasis[:, None, None], 1, "VALID")[0, :, 0]

    # Framing and overlap-add in hop-long blocks (a window spans `reach` blocks): slices, pads and reshapes only,
    # which TFLite's built-in ops hold (tf.signal.frame and overlap_and_add need ops it has not); unlike
    # common/nn/conv_kernels.py's overlap-add, for a window count known only when the graph runs.
    @property
    def reach(self) -> int:
        return -(-self.canvas // self.hop)

    def _frames(self, padded, count):
        """[count, canvas]: window i starts at sample i * hop of `padded`."""
        blocks = tf.reshape(padded[:(count + self.reach - 1) * self.hop], [count + self.reach - 1, self.hop])
        return tf.concat([blocks[r:r + count] for r in range(self.reach)], axis=1)[:, :self.canvas]

    def _overlap_add(self, frames):
        """[count, canvas] → the sum of the windows placed every hop samples, (count + reach - 1) * hop long."""
        count, width = tf.shape(frames)[0], self.reach * self.hop
        blocks = tf.reshape(tf.pad(frames, [[0, 0], [0, width - self.canvas]]), [count, self.reach, self.hop])
        total = tf.add_n([tf.pad(blocks[:, r], [[r, self.reach - 1 - r], [0, 0]]) for r in range(self.reach)])
        return tf.reshape(total, [-1])
