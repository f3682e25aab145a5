#!/usr/bin/env python3
"""Import an upstream TF1 checkpoint (SEGAN, SASEGAN, ISEGAN/DSEGAN, ISEGAN-SA) into a run directory.

    python scripts/import_tf1_checkpoint.py --ckpt PATH/SEGAN-97400 --out runs/NAME \
        [--variant segan|isegan|dsegan] [--towers 2] [--allow_partial] [model flags of main.py ...]

Model flags not given are read off the checkpoint's variable names and shapes (DSEGAN and its depth,
channels, canvas, biases, PReLU, attention sites); SEGAN and ISEGAN-N have the same variables, so for
those --variant (and --stages) must be given unless D attention marks SASEGAN. Writes flags.json and
checkpoints/ckpt-<iteration> (iteration = the checkpoint's number / --towers, the upstream's GPU count),
which test mode, scripts/dev/reference_io.py and resumed training accept. Mapping rules: common/models/tf1_import.py.
"""
import argparse
import os
import re
import sys

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config import cli, variants
from common.models import tf1_import
from common.rundir import flags_file, layout
from common.system.errors import exit_on_error
from common.training.training_run import TrainingRun


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                epilog="Other flags are the model flags of <variant>/main.py; they override "
                                       "what is read off the checkpoint.")
    p.add_argument("--ckpt", required=True, help="TF1 checkpoint prefix (SEGAN-<step>) or its directory")
    p.add_argument("--out", required=True, help="run directory to create")
    p.add_argument("--variant", choices=variants.VARIANTS, help="default: detected from the variable names")
    p.add_argument("--towers", type=int, default=1, help="GPUs the upstream run trained on (default 1)")
    p.add_argument("--allow_partial", action="store_true",
                   help="import although variables are unmapped or missing (e.g. generator only)")
    args, model_argv = p.parse_known_args(argv)
    if args.towers < 1:
        p.error("--towers must be positive")
    ckpt = tf.train.latest_checkpoint(args.ckpt) if os.path.isdir(args.ckpt) else args.ckpt
    if ckpt is None:
        p.error(f"no checkpoint in {args.ckpt}")
    if os.path.isdir(os.path.join(args.out, layout.CHECKPOINT_DIR)):
        p.error(f"{args.out} already holds checkpoints; choose a new --out")
    try:
        values = tf1_import.read_checkpoint(ckpt)
    except tf1_import.ImportFailure as e:
        p.error(str(e))
    variant, detected = tf1_import.detect_model({n: list(v.shape) for n, v in values.items()})
    named = variant is not None and variants.own_tf1_names(variant)  # identified by its names (DSEGAN)
    if args.variant and args.variant != variant and (named or variants.own_tf1_names(args.variant)):
        holds = variant or f"one-generator ({' or '.join(v for v in variants.VARIANTS if not variants.own_tf1_names(v))})"
        p.error(f"{ckpt} holds a {holds} model (variable names), not {args.variant}")
    variant = args.variant or variant
    if variant is None:
        p.error("SEGAN and ISEGAN-N have the same variables: give --variant segan, or --variant isegan "
                "--stages N")
    command = cli.parse(variant, model_argv + ["--save_path", args.out], model=detected)
    run = TrainingRun(command, tf.distribute.get_strategy())
    trainer = run.trainer
    try:
        warnings = tf1_import.import_values(values, trainer, args.allow_partial)
    except tf1_import.ImportFailure as e:
        print(f"error: {ckpt} does not fit {variant} with these flags:\n{e}", file=sys.stderr)
        return 1
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    step = re.search(r"-(\d+)$", os.path.basename(ckpt))
    trainer.iteration.assign(int(step.group(1)) // args.towers if step else 0)
    flags_file.save_flags(command, args.out)
    print(f"{ckpt} → {run.save()} ({variant}, {len(values)} checkpoint variables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
