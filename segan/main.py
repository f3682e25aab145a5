#!/usr/bin/env python3
"""Train SEGAN or, with --test_wav_dir, enhance a directory. `python segan/main.py --help` lists the flags."""
import sys

from common.main import main

if __name__ == "__main__":
    sys.exit(main("segan"))
