#!/usr/bin/env python3
"""Train ISEGAN or, with --test_wav_dir, enhance a directory. `python isegan/main.py --help` lists the flags."""
import sys

from common.main import main

if __name__ == "__main__":
    sys.exit(main("isegan"))
