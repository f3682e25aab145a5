"""scripts/gpu_check.sh on a machine without a GPU: one line that says so, exit status 1."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow  # TensorFlow started in another process


def test_gpu_check_says_when_tensorflow_sees_no_gpu():
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu_check.sh")], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().endswith("sees no GPU (README \"Quick start\": GPU servers)"), out.stderr[-500:]
