#!/usr/bin/env python3
"""A named configuration for the run scripts (common/named_configs.py), as shell words on one line:

    VARIANT WINDOWS_PER_ITERATION FIRST_GPU_ONLY(0|1) MODEL_FLAGS...

e.g. `isegan 100 0 --stages 2 --self_attention --att_layer_ind 5` for ISEGAN-SA-2 (with
--att_layer_ind 5). An unknown name is an error naming the families. `--paper` prints the paper's
configurations, space-separated. No TensorFlow.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common.named_configs import PAPER_CONFIGS, main_argv, run_batch  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help="SEGAN, SASEGAN, ISEGAN-N, ISEGAN-SA-N, DSEGAN-N or DSEGAN-SA-N")
    p.add_argument("--paper", action="store_true", help="print the paper's configurations instead, in table order")
    p.add_argument("--att_layer_ind", type=int, help="encoder index of the attention blocks (configurations with "
                                                     "self-attention; default: main.py's)")
    a = p.parse_args(argv)
    if a.paper:
        print(" ".join(PAPER_CONFIGS))
        return 0
    if a.name is None:
        p.error("give a configuration NAME or --paper")
    try:
        variant, flags = main_argv(a.name, a.att_layer_ind)
        windows, first_gpu = run_batch(a.name)
    except ValueError as e:
        p.error(str(e))
    print(" ".join([variant, str(windows), str(int(first_gpu)), *flags]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
