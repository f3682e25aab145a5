"""One writer at a time: a second writer of a run directory or a record set stops at once, naming the holder;
the lock dies with its process (no stale lock after kill -9)."""
import os
import signal
import subprocess
import sys
import time

import pytest

from common.rundir import layout
from common.system import locks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_second_writer_stops_naming_the_holder_and_the_lock_frees_on_exit(tmp_path):
    with layout.lock(str(tmp_path / "run")):
        with pytest.raises(locks.Busy, match=f"run directory {tmp_path / 'run'} is in use by PID {os.getpid()} on "):
            with layout.lock(str(tmp_path / "run")):
                pass
    with layout.lock(str(tmp_path / "run")):  # free again
        pass


def test_a_lock_dies_with_its_process(tmp_path):
    path = str(tmp_path / "x.lock")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1])\n"
                               "from common.system import locks\nwith locks.exclusive(sys.argv[2], 'x'):\n"
                               "    print('held', flush=True); time.sleep(60)", ROOT, path],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(locks.Busy, match=f"PID {holder.pid} "):
            with locks.exclusive(path, "x"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with locks.exclusive(path, "x"):  # no stale lock, no clean-up
        pass


def test_a_second_records_build_stops_and_writes_nothing(tmp_path, capsys):
    from tests.test_make_tfrecords import pair_dirs, run

    clean, noisy, _ = pair_dirs(tmp_path, [2048] * 3)
    out = tmp_path / "out"
    with locks.exclusive(str(out / ".t.tfrecords.lock"), "another build"):
        started = time.time()
        assert run(clean, noisy, out, "--canvas_size", "1024") == 1
        assert time.time() - started < 30
    assert f"{out / 't.tfrecords'} is in use by PID {os.getpid()}" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".t.tfrecords.lock"]
    assert run(clean, noisy, out, "--canvas_size", "1024") == 0  # free again: it builds
