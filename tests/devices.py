"""The devices the `gpu` tests (tests/test_gpu.py) compare, and the figures they leave for scripts/gpu_check.sh.

With a GPU: the device under test is the GPU, two of them for the two-replica test (two logical GPUs carved from
one when only one is visible: conftest.py), and TF32 is off so that float32 means float32. Without one: the two
logical CPUs of the suite, so that the same tests run, and check the same code, in every CPU run."""
import json
import os

import numpy as np
import tensorflow as tf

from scripts.bench.gpu_check import FIGURES_ENV

REFERENCE = "/job:localhost/replica:0/task:0/device:CPU:0"
LOGICAL_GPU_MB = 3072  # memory of each of the two logical GPUs carved from a single one


def under_test() -> list[str]:
    """The two devices of the two-replica test; the first is the one the other tests run on (on a CPU: the second
    logical CPU, not the reference)."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in gpus][:2] or [d.name for d in tf.config.list_logical_devices("CPU")][1::-1]


def configure() -> None:
    """Before TensorFlow starts: two logical devices of each kind the tests use (one GPU split in two; two
    logical CPUs), TF32 off."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) == 1:
        tf.config.set_logical_device_configuration(
            gpus[0], [tf.config.LogicalDeviceConfiguration(memory_limit=LOGICAL_GPU_MB)] * 2)
    tf.config.experimental.enable_tensor_float_32_execution(False)


def deviation(a, b) -> float:
    """max |a - b| over max |b| (0 for two zero tensors)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return float(np.max(np.abs(a - b))) / scale if scale else float(np.max(np.abs(a), initial=0.0))


def tolerance_used(pairs, rtol, atol) -> tuple[float, str]:
    """The largest share of its tolerance atol + rtol |b| that any element of (name, a, b) `pairs` uses (at most 1:
    equal within it), and the name where it is largest."""
    shares = {name: float(np.max(np.abs(np.asarray(a, np.float64) - b) / (atol + rtol * np.abs(np.asarray(b)))))
              for name, a, b in pairs}
    worst = max(shares, key=shares.get)
    return shares[worst], worst


def record(check: str, **figures) -> None:
    """Append a check's figures (its largest deviations, the all-reduce it ran, ...) for the report."""
    path = os.environ.get(FIGURES_ENV)
    if path:  # PYTEST_CURRENT_TEST: "tests/test_gpu.py::name[parameters] (call)"
        test = os.environ["PYTEST_CURRENT_TEST"].split("::")[-1].rsplit(" ", 1)[0]
        with open(path, "a") as f:
            f.write(json.dumps({"test": test, "check": check, "device": under_test()[0], **figures}) + "\n")
