#!/usr/bin/env bash
# Create .venv beside the project, install the pinned requirements into it and the project itself, editable
# (pyproject.toml: every tool imports the code from here), all safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
