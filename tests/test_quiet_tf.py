"""common.system.quiet_tf: TensorFlow's start-up noise is gone, real messages and errors are not."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOISE = ("I0000", "E0000", "absl::InitializeLog")
IMPORT = "from common.system.quiet_tf import import_tensorflow; tf = import_tensorflow(); "


def run(code, **env):
    """Run `code` in a fresh interpreter in the project root; TF_CPP_* variables only as given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP_")}
    base.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_start_up_noise_removed():
    r = run(IMPORT + "print(tf.__version__); import sys; print('after', file=sys.stderr)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().split(".")[0] == "2"
    assert "after" in r.stderr
    assert not [n for n in NOISE if n in r.stderr], r.stderr


@pytest.mark.slow
def test_errors_after_import_still_shown():
    # an uncaught Python error and the TensorFlow C++ warning that comes with it both reach stderr
    r = run(IMPORT + "tf.io.read_file('/nonexistent/quiet_tf_test')", TF_CPP_MIN_LOG_LEVEL="1")
    assert r.returncode != 0
    assert "Traceback" in r.stderr and "NotFoundError" in r.stderr
    assert "OP_REQUIRES failed" in r.stderr  # a real TF log line after start-up is not filtered
    assert "absl::InitializeLog" not in r.stderr


@pytest.mark.slow
def test_debugging_shows_everything():
    r = run(IMPORT + "print(tf.__version__)", TF_CPP_MIN_LOG_LEVEL="0")
    assert r.returncode == 0, r.stderr
    assert "absl::InitializeLog" in r.stderr and "I0000" in r.stderr


def test_failed_import_restores_stderr(tmp_path):
    # a stand-in "tensorflow" that writes to fd 2 and fails: its output and the error are both visible,
    # and stderr works again afterwards
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text(
        "import os\nos.write(2, b'I0000 00:00:1.5 1 fake.cc:1] loader says why\\n')\n"
        "raise ImportError('fake tensorflow is broken')\n")
    code = ("import sys; sys.path.insert(0, %r)\n" % str(tmp_path)
            + "from common.system.quiet_tf import import_tensorflow\n"
            "try:\n    import_tensorflow()\n"
            "except ImportError as e:\n    print('caught', e, file=sys.stderr)\n"
            "print('after', file=sys.stderr)\nimport_tensorflow()\n")
    r = run(code)
    assert r.returncode != 0
    assert "loader says why" in r.stderr  # replayed unfiltered on failure
    assert "caught fake tensorflow is broken" in r.stderr and "after" in r.stderr
    assert "ImportError: fake tensorflow is broken" in r.stderr  # the re-raised error's traceback


@pytest.mark.slow
def test_spawned_worker_is_quiet():
    code = ("import multiprocessing as mp\nfrom common.system.quiet_tf import import_tensorflow\n"
            "if __name__ == '__main__':\n"
            "    p = mp.get_context('spawn').Process(target=import_tensorflow); p.start(); p.join()\n"
            "    import sys; print('exit', p.exitcode, file=sys.stderr)\n")
    r = run(code)
    assert "exit 0" in r.stderr
    assert not [n for n in NOISE if n in r.stderr], r.stderr


def test_in_process_under_pytest():
    # TensorFlow is usually imported already here; the call still returns it and leaves fd 2 as it was
    from common.system.quiet_tf import import_tensorflow

    before = os.fstat(2)
    tf = import_tensorflow()
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
    assert int(tf.constant(1).numpy()) == 1


@pytest.mark.slow
def test_audio_summary_without_the_onednn_string_line(tmp_path):
    r = run(IMPORT + "from common.system.quiet_tf import quiet_audio_summary; import sys\n"
            f"with tf.summary.create_file_writer({str(tmp_path)!r}).as_default(step=1):\n"
            "    quiet_audio_summary('x', tf.zeros([1, 100, 1]), 16000)\n"
            "print('after', file=sys.stderr)")
    assert r.returncode == 0, r.stderr
    assert "after" in r.stderr and "DT_STRING" not in r.stderr, r.stderr
    assert any(p.name.startswith("events.out") and p.stat().st_size > 100 for p in tmp_path.iterdir())
