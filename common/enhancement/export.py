"""A trained chain as a self-contained TensorFlow graph (scripts/export.py writes it as a SavedModel, a TFLite and
an ONNX model): a float32 16 kHz waveform of any length in, the enhanced waveform of the same length out, computed as
test mode computes it (common/enhancement/enhance.py): pre-emphasis, the paper's non-overlapping windows (or
`overlap` with a Hann blend), every stage, the last stage's output trimmed and de-emphasised.

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
import warnings

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
    # which TFLite's built-in ops hold (tf.signal.frame and overlap_and_add need ops it has not).
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


SAVED_MODEL, TFLITE, ONNX, RECORD = "saved_model", "enhancer.tflite", "enhancer.onnx", "export.json"
ONNX_OPSET = 17
CHECK_SECONDS = 1.5  # the test signal each export is checked on


class FixedZ:
    """A chain whose calls take their z from `z` [stages, windows, ...], window after window (test mode's
    Enhancer with a given z)."""

    def __init__(self, chain, z: np.ndarray):
        self.chain, self.z, self.used = chain, z, 0

    def __call__(self, windows):
        n = int(windows.shape[0])
        zs = [tf.constant(self.z[s, self.used:self.used + n]) for s in range(len(self.z))]
        self.used += n
        return self.chain(windows, zs=zs)


def write_exports(trained, out: str, overlap: float) -> list[str]:
    """DIR/saved_model, DIR/enhancer.tflite, DIR/enhancer.onnx and DIR/export.json of a TrainedChain, each
    loaded back and compared with test mode on a test signal; returns the report's lines. InputError when DIR
    holds an export."""
    import json
    import os

    from common.audio.audio import SAMPLE_RATE
    from common.enhancement.enhance import Enhancer
    from common.system.errors import InputError

    paths = {k: os.path.join(out, k) for k in (SAVED_MODEL, TFLITE, ONNX, RECORD)}
    if any(os.path.exists(p) for p in paths.values()):
        raise InputError(f"--out {out} already holds an export ({', '.join(k for k in paths if os.path.exists(paths[k]))}): "
                         "choose another folder or remove it")
    cfg = trained.cfg
    module = ExportedEnhancer(trained.chain, cfg.stages, cfg.canvas_size, cfg.z_shape(1)[1:], trained.preemph, overlap)
    os.makedirs(out, exist_ok=True)
    tf.saved_model.save(module, paths[SAVED_MODEL] + ".part", signatures={
        "enhance": module.enhance.get_concrete_function(), "enhance_with_z": module.enhance_with_z.get_concrete_function()})
    os.replace(paths[SAVED_MODEL] + ".part", paths[SAVED_MODEL])
    with open(paths[TFLITE] + ".part", "wb") as f:
        f.write(tflite_model(module))
    os.replace(paths[TFLITE] + ".part", paths[TFLITE])
    onnx_model(paths[SAVED_MODEL], paths[ONNX] + ".part")
    os.replace(paths[ONNX] + ".part", paths[ONNX])

    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(int(CHECK_SECONDS * SAMPLE_RATE))).astype(np.float32)
    z = rng.standard_normal((cfg.stages, module.windows_of(len(x)), *module.z_shape)).astype(np.float32)
    outputs = {SAVED_MODEL: run_saved_model(paths[SAVED_MODEL], x, z), TFLITE: run_tflite(paths[TFLITE], x, z),
               ONNX: run_onnx(paths[ONNX], x, z)}
    test_mode = Enhancer(FixedZ(trained.chain, z), cfg.canvas_size, trained.preemph, batch=len(z[0]), overlap=overlap,
                         eager=True).process(x)
    errors = {k: float(np.max(np.abs(y - test_mode))) for k, y in outputs.items()}
    record = {"run": os.path.abspath(trained.run_dir), "checkpoint": trained.path, "tensorflow": tf.__version__,
              "sample_rate": SAMPLE_RATE, "canvas": cfg.canvas_size, "hop": module.hop, "lead": module.lead,
              "stages": cfg.stages, "preemph": trained.preemph, "z_shape": ["stages", "windows", *module.z_shape],
              "windows": "max(1, ceil((samples + lead) / hop))", "deemphasis_taps": int(module.deemphasis.shape[0]),
              "check": {"seconds": CHECK_SECONDS, "max_abs_difference_from_test_mode": errors}}
    with open(paths[RECORD], "w") as f:
        json.dump(record, f, indent=2)
    return [f"{paths[k]}: max |difference| from test mode {e:.2g} on a {CHECK_SECONDS:g} s signal with the same z"
            for k, e in errors.items()] + [f"{paths[RECORD]}: what was exported and how to call it"]


def tflite_model(module: ExportedEnhancer) -> bytes:
    """`enhance_with_z` as a TFLite flatbuffer, its weights frozen into constants (built-in ops only)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(module.enhance_with_z.get_concrete_function())
    return tf.lite.TFLiteConverter.from_concrete_functions([frozen], module).convert()


def onnx_model(saved_model: str, path: str) -> None:
    """The SavedModel's `enhance_with_z` as an ONNX model (tf2onnx's converter, opset ONNX_OPSET, weights as
    initialisers) written to `path`; RuntimeError with the converter's last lines if it fails."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved_model, "--signature_def",
                           "enhance_with_z", "--opset", str(ONNX_OPSET), "--output", path],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tf2onnx could not convert {saved_model}: " + " | ".join(done.stderr.splitlines()[-5:]))


def run_onnx(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The ONNX model written by write_exports on one waveform, in onnxruntime on the CPU."""
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {"waveform": x, "z": z})[0]


def run_saved_model(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """`enhance_with_z` of a SavedModel written by write_exports."""
    return tf.saved_model.load(path).signatures["enhance_with_z"](waveform=tf.constant(x), z=tf.constant(z))[
        "enhanced"].numpy()


def run_tflite(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The TFLite model written by write_exports on one waveform: its inputs `waveform` and `z` resized to the
    arrays given, then set."""
    with warnings.catch_warnings():  # tf.lite.Interpreter's notice that LiteRT will replace it
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=path)
    inputs = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    for name, value in (("waveform", x), ("z", z)):
        interpreter.resize_tensor_input(inputs[name], value.shape)
    interpreter.allocate_tensors()
    for name, value in (("waveform", x), ("z", z)):
        interpreter.set_tensor(inputs[name], value)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
