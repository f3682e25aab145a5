#!/usr/bin/env python3
"""Train DSEGAN or, with --test_wav_dir, enhance a directory. `python dsegan/main.py --help` lists the flags."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main("dsegan"))
