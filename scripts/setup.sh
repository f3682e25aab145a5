#!/usr/bin/env bash
# Create .venv beside the project and install the pinned requirements into it (safe to re-run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
