"""The export folder of a run (scripts/export.py): the SavedModel of common/enhancement/export.py, the TFLite model
converted from it and the ONNX model converted from that (tf2onnx), each conversion in a process of its own (a
full-size conversion holds several copies of the weights: apart, their memory is returned when each ends), then
each loaded back and compared with test mode on a test signal with the same z, and export.json."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import tensorflow as tf

from common.audio.audio import SAMPLE_RATE
from common.enhancement.enhance import Enhancer
from common.enhancement.export import ExportedEnhancer
from common.system.errors import InputError, UserError

SAVED_MODEL, TFLITE, ONNX, RECORD = "saved_model", "enhancer.tflite", "enhancer.onnx", "export.json"
ONNX_OPSET = 17
CHECK_SECONDS = 1.5  # the test signal each export is checked on
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    """DIR/saved_model, DIR/enhancer.tflite, DIR/enhancer.onnx and DIR/export.json of a TrainedChain; returns the
    report's lines. InputError when DIR holds an export; UserError naming a conversion that failed (what was
    written before it stays)."""
    paths = {k: os.path.join(out, k) for k in (SAVED_MODEL, TFLITE, ONNX, RECORD)}
    if found := [k for k, p in paths.items() if os.path.exists(p)]:
        raise InputError(f"--out {out} already holds an export ({', '.join(found)}): choose another folder or "
                         "remove it")
    cfg = trained.cfg
    module = ExportedEnhancer(trained.chain, cfg.stages, cfg.canvas_size, cfg.z_shape(1)[1:], trained.preemph, overlap)
    os.makedirs(out, exist_ok=True)
    tf.saved_model.save(module, paths[SAVED_MODEL] + ".part", signatures={
        "enhance": module.enhance.get_concrete_function(), "enhance_with_z": module.enhance_with_z.get_concrete_function()})
    os.replace(paths[SAVED_MODEL] + ".part", paths[SAVED_MODEL])
    convert("TFLite", [sys.executable, "-c", f"from common.enhancement.export_files import tflite_from; "
                       f"tflite_from({paths[SAVED_MODEL]!r}, {paths[TFLITE] + '.part'!r})"], paths[TFLITE])
    convert("ONNX", [sys.executable, "-m", "tf2onnx.convert", "--tflite", paths[TFLITE], "--opset", str(ONNX_OPSET),
                     "--output", paths[ONNX] + ".part"], paths[ONNX])

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
              "onnx_opset": ONNX_OPSET, "check": {"seconds": CHECK_SECONDS, "max_abs_difference_from_test_mode": errors}}
    with open(paths[RECORD], "w") as f:
        json.dump(record, f, indent=2)
    return [f"{paths[k]}: max |difference| from test mode {e:.2g} on a {CHECK_SECONDS:g} s signal with the same z"
            for k, e in errors.items()] + [f"{paths[RECORD]}: what was exported and how to call it"]


def convert(what: str, argv: list[str], path: str) -> None:
    """Run a converter writing path + '.part' in a process of its own, then rename it to `path`; UserError with
    its last lines (or the signal that killed it: out of memory, most often) when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
    if done.returncode != 0 or not os.path.exists(path + ".part"):
        why = (f"killed by signal {-done.returncode} (out of memory?)" if done.returncode < 0
               else " | ".join(done.stderr.strip().splitlines()[-3:]))
        raise UserError(f"the {what} conversion into {path} failed: {why}")
    os.replace(path + ".part", path)


def tflite_from(saved_model: str, path: str) -> None:
    """The SavedModel's `enhance_with_z` as a TFLite flatbuffer at `path`, its weights frozen into constants
    (built-in ops only)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    loaded = tf.saved_model.load(saved_model)
    frozen = convert_variables_to_constants_v2(loaded.signatures["enhance_with_z"])
    with open(path, "wb") as f:
        f.write(tf.lite.TFLiteConverter.from_concrete_functions([frozen], loaded).convert())


def run_saved_model(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """`enhance_with_z` of the export's SavedModel."""
    return tf.saved_model.load(path).signatures["enhance_with_z"](waveform=tf.constant(x), z=tf.constant(z))[
        "enhanced"].numpy()


def run_tflite(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The export's TFLite model on one waveform: its inputs `waveform` and `z` resized to the arrays given, then
    set."""
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


def run_onnx(path: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The export's ONNX model on one waveform, in onnxruntime on the CPU."""
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {"waveform": x, "z": z})[0]
