#!/usr/bin/env python3
"""Print the iteration numbers of a run's checkpoints (the last --last of them), one per line."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from common.enhance import checkpoint_steps  # noqa: E402

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("--last", type=int, default=5)
    a = p.parse_args()
    steps = checkpoint_steps(a.run_dir)[-a.last:]
    if not steps:
        sys.exit(f"error: no checkpoints in {a.run_dir}/checkpoints")
    print("\n".join(map(str, steps)))
