"""scripts/gpu_check.sh: without a GPU one line and exit 0; with --device cpu the whole report (device, the `gpu` tests
with their figures, speed per mode and kernel form, the grid's hours) from tiny models, and a failure when no test
ran."""
import json
import os
import subprocess

import pytest

from common.config.named_configs import PAPER_CONFIGS
from tests.conftest import HOSTILE_NAME

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow  # TensorFlow started in other processes


def gpu_check(*args, cwd=None):
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu_check.sh"), *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})


def test_without_a_gpu_it_says_so_in_one_line_and_exits_0(tmp_path):
    out = gpu_check(str(tmp_path / "report"))
    assert out.returncode == 0 and out.stderr == "", out.stderr[-2000:]
    assert out.stdout.startswith("no GPU: TensorFlow") and out.stdout.count("\n") == 1
    assert not (tmp_path / "report").exists()


def test_the_cpu_report_has_every_section(tmp_path):
    """Run from another folder into a relative folder whose name holds quotes and spaces."""
    out = gpu_check(HOSTILE_NAME, "--device", "cpu", "--small", "--modes", "fp32", "--kernels", "tuned", "native",
                    "--tests", "file_enhanced", "--iterations", "1", cwd=tmp_path)
    folder = tmp_path / HOSTILE_NAME
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert not (tmp_path / "INJECTED").exists()
    assert out.stdout.strip().splitlines()[-1].startswith(f"{HOSTILE_NAME}/gpu_check.md: every check passed")
    report = json.loads((folder / "gpu_check.json").read_text())
    assert report["device"]["kind"] == "CPU" and report["failed"] == []
    [test] = report["tests"]
    assert test["outcome"] == "passed" and test["figures"][0]["check"] == "file enhanced"
    assert [(r["mode"], r["kernels"]) for r in report["speed"]] == [("fp32", "tuned"), ("fp32", "native")]
    for row in report["speed"]:
        assert row["windows_per_second"] > 0 and 0 < row["share_of_matmul"] < 1 and row["peak_memory_bytes"] > 2**20
    fp32 = report["hours"]["fp32"]
    assert fp32["kernels"] in ("tuned", "native") and list(fp32["configs"]) == list(PAPER_CONFIGS)
    assert fp32["grid"] == pytest.approx(sum(fp32["configs"].values()))
    # a 2-stage model does twice the generator work of SEGAN: more hours, in the same proportion as its FLOPs
    assert fp32["configs"]["ISEGAN-2"] > fp32["configs"]["SEGAN"] > 0
    page = (folder / "gpu_check.md").read_text()
    for section in ("**Every check passed.**", "## Equality with the CPU", "## Training speed", "## Hours of the"):
        assert section in page
    assert "file enhanced: samples 0" in page and (folder / "gpu_tests.log").stat().st_size > 0


def test_no_test_run_is_a_failure(tmp_path):
    out = gpu_check(str(tmp_path), "--device", "cpu", "--small", "--modes", "fp32", "--kernels", "tuned",
                    "--tests", "no_such_test", "--iterations", "1")
    assert out.returncode == 1 and "FAILED: no gpu test ran" in out.stdout
    assert json.loads((tmp_path / "gpu_check.json").read_text())["failed"] == ["no gpu test ran"]
