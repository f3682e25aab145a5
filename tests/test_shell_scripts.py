"""The shell scripts pass shellcheck: quoted expansions, paths handed over as arguments (never pasted into code),
no word splitting or globbing of a user's value. What a hostile path does at run time is in the run-script tests
(tests/conftest.py HOSTILE_NAME)."""
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shell_scripts() -> list[str]:
    return sorted(glob.glob(os.path.join(ROOT, "*.sh")) + glob.glob(os.path.join(ROOT, "scripts", "*.sh"))
                  + [os.path.join(ROOT, ".ci", "run")])


def shellcheck(paths: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "shellcheck"), "-x", *paths], cwd=ROOT,
                          capture_output=True, text=True)


def test_every_shell_script_passes_shellcheck():
    paths = shell_scripts()
    assert len(paths) >= 8 and os.path.join(ROOT, "scripts", "run_paper.sh") in paths
    result = shellcheck(paths)
    assert result.returncode == 0, result.stdout


def test_shellcheck_reports_an_unquoted_expansion(tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nls $1\n")
    result = shellcheck([str(bad)])
    assert result.returncode != 0 and "SC2086" in result.stdout
