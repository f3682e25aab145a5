#!/usr/bin/env python3
"""Print the iteration numbers of a run's newest --last readable checkpoints, one per line (an unreadable
one is named in a warning and skipped)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common.quiet_tf import import_tensorflow  # noqa: E402

import_tensorflow()

from common.rundir import CHECKPOINT_DIR, good_steps  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("--last", type=int, default=5)
    a = p.parse_args(argv)
    steps = good_steps(a.run_dir, a.last)
    if not steps:
        print(f"error: no readable checkpoint in {os.path.join(a.run_dir, CHECKPOINT_DIR)}", file=sys.stderr)
        return 1
    print("\n".join(map(str, steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
