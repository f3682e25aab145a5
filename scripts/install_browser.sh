#!/usr/bin/env bash
# Headless Chromium and its driver for the browser tests (tests/test_listening_report.py, marked `browser`), from
# Debian's packages chromium and chromium-driver, when either is missing (safe to re-run: then it does nothing).
# Needs root and apt-get; elsewhere it says what to install, and the browser tests fail saying the same.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
  echo "note: no /usr/bin/chromium or /usr/bin/chromedriver: install Debian's chromium and chromium-driver for the" \
       "browser tests (or leave them out: -m 'not browser')" >&2
  exit 0
fi
echo "installing chromium and chromium-driver (Debian) for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver > /dev/null
