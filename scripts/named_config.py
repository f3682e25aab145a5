#!/usr/bin/env python3
"""For the run scripts: the variant (segan, isegan or dsegan: which main.py trains it) of a named configuration
(common/config/named_configs.py), with --gpus the number of GPUs the paper's run script trained it on, or with --paper
the paper's configurations, space-separated, or with --seed S the name of the run directory of seed S (the run
scripts' SEEDS). An unknown name is an error naming the families. No TensorFlow."""
import argparse
import sys

from common.config.named_configs import PAPER_CONFIGS, expected_names, named_config, paper_gpus
from common.rundir.layout import seed_run_name


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("name", nargs="?", help=expected_names())
    p.add_argument("--paper", action="store_true", help="print the paper's configurations instead, in table order")
    p.add_argument("--gpus", action="store_true", help="print the GPUs of the paper's run script for NAME instead")
    p.add_argument("--seed", type=int, help="print the run directory's name of this seed of NAME instead")
    a = p.parse_args(argv)
    if a.paper:
        print(" ".join(PAPER_CONFIGS))
        return 0
    if a.name is None:
        p.error("give a configuration NAME or --paper")
    try:
        variant = named_config(a.name).variant
        print(paper_gpus(a.name) if a.gpus else variant if a.seed is None else seed_run_name(a.name, a.seed))
    except ValueError as e:
        p.error(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
