"""common/system/cpu_threads.py: --cpu_op_threads sets TensorFlow's CPU threading before its first op."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.system import cpu_threads

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cores, expected", [(1, "one"), (2, "one"), (3, "all"), (64, "all")])
def test_auto_takes_one_thread_per_op_only_where_measured(cores, expected, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert cpu_threads.resolve("auto") == expected
    assert cpu_threads.resolve("one") == "one" and cpu_threads.resolve("all") == "all"


@pytest.mark.slow
def test_one_sets_the_threads_in_a_fresh_process_and_all_leaves_them():
    code = """
from common.system.quiet_tf import import_tensorflow
tf = import_tensorflow()
from common.system import cpu_threads
t = tf.config.threading
print(cpu_threads.use(tf, "all"), t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads())
print(cpu_threads.use(tf, "one"), t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads())
tf.constant(1.0) + 1.0  # TensorFlow running: the same settings again are kept, other ones are refused
print(cpu_threads.use(tf, "one"), t.get_intra_op_parallelism_threads())
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    cores = len(os.sched_getaffinity(0))
    assert r.stdout.split("\n")[:3] == ["all 0 0", f"one 1 {cores}", "one 1"]
