"""Progress without a terminal (a log file, a scheduler, a pipe): plain lines, never carriage-return redraws."""
import io
import os
import subprocess
import sys

from common.system import progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_without_a_terminal_each_report_is_a_line_of_its_own(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)  # a line at every update, for the test
    with progress.progress(total=5, unit="it", desc="run") as bar:
        for i in range(5):
            bar.set_postfix({"g": f"{i:.3f}"}, refresh=False)
            bar.update(1)
        bar.write("error: a line of its own", file=log)
    text = log.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert lines[0].startswith("run:   0%") and "error: a line of its own" in lines
    assert any(line.startswith("run: 100%") and "5/5" in line and "it/s" in line and "g=4.000" in line
               for line in lines)
    assert all(line == line.rstrip() for line in lines)


def test_on_a_terminal_the_bar_redraws_in_place(monkeypatch):
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with progress.progress(total=3, desc="run", mininterval=0) as bar:
        bar.update(3)
    assert "\r" in term.getvalue()


def test_a_tool_writing_to_a_log_file_writes_plain_lines(tmp_path):
    """A real command with its stderr in a file, as under nohup or SLURM: no carriage return in the log."""
    clean, noisy = tmp_path / "clean", tmp_path / "noisy"
    code = ("import numpy as np, soundfile as sf, sys\n"
            "for d in sys.argv[1:]:\n"
            "    import os; os.makedirs(d)\n"
            "    for i in range(3): sf.write(f'{d}/f{i}.wav', np.zeros(20000, np.int16), 16000)\n")
    subprocess.run([sys.executable, "-c", code, str(clean), str(noisy)], check=True)
    with open(tmp_path / "log", "w") as log:
        subprocess.run([sys.executable, os.path.join(ROOT, "make_tfrecords.py"), "--wav_dir", str(clean),
                        "--noisy_dir", str(noisy), "--save_path", str(tmp_path / "out"), "--jobs", "1"],
                       stderr=log, stdout=log, check=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    text = (tmp_path / "log").read_bytes()  # bytes: reading text would turn a carriage return into a newline
    assert b"3/3" in text and b"\r" not in text
