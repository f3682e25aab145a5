"""Trainable parameters of the named configurations, counted on the models as built.

    python scripts/model_size.py [--markdown] [NAME ...]

Prints `NAME G_PARAMS D_PARAMS` per configuration (default: the paper's, docs/decisions.md §2);
--markdown prints the footprint table of docs/decisions.md §7 instead.
"""
import argparse
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.config.named_configs import PAPER_CONFIGS, named_config
from common.evaluation import tables
from common.models.build import parameter_counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=PAPER_CONFIGS, metavar="NAME",
                        help="named configurations (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    rows = [(name, *parameter_counts(named_config(name))) for name in args.names]
    if not args.markdown:
        for name, g, d in rows:
            print(name, g, d)
        return 0
    print("\n".join(tables.markdown(["Configuration", "Generator(s)", "Discriminator", "G + D"],
                                    [[name, *(f"{n:,} ({n / 1e6:.2f} M)" for n in (g, d, g + d))]
                                     for name, g, d in rows])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
