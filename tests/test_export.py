"""scripts/export.py: the SavedModel, TFLite and ONNX models of a run, loaded back in a fresh process, equal test mode
for the same z (≤ 1e-5, ≤ 1e-4, ≤ 1e-4), at lengths around the window edges, with the paper's windows and with
overlap."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from common.enhancement.enhance import Enhancer
from common.enhancement.export_files import FixedZ
from common.rundir.trained_chain import load_chain
from scripts import export

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENGTHS = (1, 511, 513, 3000)
LOAD_BACK = """
import sys, numpy as np
from common.system.quiet_tf import import_tensorflow
import_tensorflow()
from common.enhancement.export_files import run_onnx, run_saved_model, run_tflite
out, inputs = sys.argv[1], np.load(sys.argv[2])
results = {}
for n in range(len(inputs.files) // 2):
    x, z = inputs[f"x{n}"], inputs[f"z{n}"]
    results[f"saved{n}"] = run_saved_model(out + "/saved_model", x, z)
    results[f"tflite{n}"] = run_tflite(out + "/enhancer.tflite", x, z)
    results[f"onnx{n}"] = run_onnx(out + "/enhancer.onnx", x, z)
import tensorflow as tf
drawn = tf.saved_model.load(out + "/saved_model").signatures["enhance"]
results["drawn"] = np.stack([drawn(waveform=tf.constant(inputs["x3"]))["enhanced"].numpy() for _ in range(2)])
np.savez(sys.argv[3], **results)
"""


@pytest.mark.slow
@pytest.mark.parametrize("overlap", [0.0, 0.5])
def test_exports_equal_test_mode_for_the_same_z_in_a_fresh_process(tiny_run, tmp_path, overlap):
    out = tmp_path / "export"
    assert export.main(["--run", str(tiny_run), "--out", str(out), "--test_overlap", str(overlap)]) == 0
    record = json.loads((out / "export.json").read_text())
    assert record["hop"] == (512 if overlap == 0 else 256) and record["stages"] == 2
    assert max(record["check"]["max_abs_difference_from_test_mode"].values()) < 1e-4
    trained = load_chain(str(tiny_run))
    rng = np.random.default_rng(1)
    inputs, expected = {}, []
    for n, length in enumerate(LENGTHS):
        x = (0.2 * rng.standard_normal(length)).astype(np.float32)
        windows = max(1, -(-(length + record["lead"]) // record["hop"]))
        z = rng.standard_normal((2, windows, *record["z_shape"][2:])).astype(np.float32)
        inputs[f"x{n}"], inputs[f"z{n}"] = x, z
        chain = FixedZ(load_chain(str(tiny_run)).chain, z)  # test mode's first call after loading, as exported
        expected.append(Enhancer(chain, trained.cfg.canvas_size, trained.preemph, batch=windows, overlap=overlap,
                                 eager=True).process(x))
    np.savez(tmp_path / "in.npz", **inputs)
    done = subprocess.run([sys.executable, "-c", LOAD_BACK, str(out), str(tmp_path / "in.npz"), str(tmp_path / "o.npz")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-2000:]
    results = np.load(tmp_path / "o.npz")
    for n, want in enumerate(expected):
        assert results[f"saved{n}"].shape == results[f"tflite{n}"].shape == (LENGTHS[n],)
        assert np.max(np.abs(results[f"saved{n}"] - want)) <= 1e-5
        assert np.max(np.abs(results[f"tflite{n}"] - want)) <= 1e-4
        assert results[f"onnx{n}"].shape == (LENGTHS[n],) and np.max(np.abs(results[f"onnx{n}"] - want)) <= 1e-4
    drawn = results["drawn"]  # z drawn inside: the same length, another z each call
    assert drawn.shape == (2, LENGTHS[3]) and np.all(np.isfinite(drawn)) and not np.array_equal(drawn[0], drawn[1])


def test_an_existing_export_is_not_overwritten(tiny_run, tmp_path):
    (tmp_path / "export" / "saved_model").mkdir(parents=True)
    with pytest.raises(SystemExit, match="already holds an export \\(saved_model\\)"):
        export.main(["--run", str(tiny_run), "--out", str(tmp_path / "export")])
