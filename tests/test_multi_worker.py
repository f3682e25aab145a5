"""Two training processes as two workers of a MultiWorkerMirroredStrategy cluster on 127.0.0.1 (TF_CONFIG):
the same losses on both, the run's outputs written by the chief alone, and both resuming from the chief's
checkpoint."""
import json
import os
import socket
import subprocess
import sys

import pytest

from common.rundir import checkpoint_files, flags_file, layout
from tests.conftest import TINY_MODEL

pytestmark = pytest.mark.slow  # a cluster of two training processes, trained twice
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def train_cluster(records, run, *flags):
    """Both workers' (return code, stdout, stderr), trained with the same flags."""
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    cmd = [sys.executable, os.path.join(ROOT, "isegan", "main.py"), *TINY_MODEL, "--stages", "2", "--self_attention",
           "--e2e_dataset", str(records), "--save_path", str(run), "--batch_size", "2", "--save_freq", "2",
           "--log_freq", "1", "--seed", "3", *flags]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
                                   "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                            "task": {"type": "worker", "index": k}})})
             for k in range(2)]
    return [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]


def test_two_workers_train_alike_the_chief_writes_and_both_resume(tiny_records, tmp_path):
    run = tmp_path / "run"
    worker = run / layout.WORKER_DIR / "1"
    for code, out, err in train_cluster(tiny_records, run, "--max_steps", "4"):
        assert code == 0, err[-3000:]
        assert "2 replica(s) x 2 windows = 4 windows per batch" in out
    chief_losses = (run / layout.LOSS_FILE).read_text()
    assert chief_losses == (worker / layout.LOSS_FILE).read_text()  # the same reduced losses, bit for bit
    assert len(chief_losses.splitlines()) == 5
    assert sorted(os.listdir(run)) == sorted([layout.FLAGS_FILE, layout.CHECKPOINT_DIR, layout.LOG_DIR,
                                              layout.LOSS_FILE, layout.WORKER_DIR, layout.LOCK_FILE])  # the chief's
    assert checkpoint_files.checkpoint_steps(str(run)) == [2, 4]
    assert flags_file.load_flags(str(run))["training"]["replicas"] == 2
    assert os.listdir(run / layout.WORKER_DIR) == ["1"]  # the second worker's own files only
    for code, out, err in train_cluster(tiny_records, run, "--max_steps", "6", "--allow_changes"):
        assert code == 0, err[-3000:]
        assert "from ckpt-4 (iteration 4 of 6)" in out  # both from the chief's checkpoint
    assert (run / layout.LOSS_FILE).read_text() == (worker / layout.LOSS_FILE).read_text()
    assert [int(r.split(",")[0]) for r in (run / layout.LOSS_FILE).read_text().splitlines()[1:]] == list(range(1, 7))
    assert checkpoint_files.checkpoint_steps(str(run)) == [2, 4, 6]
