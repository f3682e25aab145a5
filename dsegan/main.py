#!/usr/bin/env python3
"""Train DSEGAN or, with --test_wav_dir, enhance a directory. `python dsegan/main.py --help` lists the flags."""
import sys

from common.main import main

if __name__ == "__main__":
    sys.exit(main("dsegan"))
