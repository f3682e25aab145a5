"""What every variant's main.py runs: parse the flags, then train, or (with --test_wav_dir) enhance."""
from __future__ import annotations

import sys

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config import cli
from common.system import cpu_threads
from common.system.errors import TrainingDiverged, exit_on_error, os_fault
from common.system.stop_signals import GracefulStop


@exit_on_error
def main(variant: str, argv=None) -> int:
    args = cli.parse(variant, argv)
    cpu_threads.use(tf, args.cpu_op_threads)
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    from common.training.training_run import TrainingRun

    try:
        if args.test_wav_dir:
            return test(args)
        TrainingRun(args).train()
    except (TrainingDiverged, OSError) as e:  # OSError: bad or missing records, an unwritable directory
        print(f"error: {(os_fault(e) if isinstance(e, OSError) else None) or e}", file=sys.stderr)
        return 1
    except GracefulStop as e:
        print(e, file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print(f"interrupted; the same command resumes {args.save_path} from its last checkpoint", file=sys.stderr)
        return 130
    return 0


def test(args) -> int:
    """Enhance a directory with the run's chain (model and pre-emphasis from its flags.json)."""
    from common.enhancement.enhance import Enhancer
    from common.enhancement.enhance_files import enhance_dir
    from common.system.paths import check_output_folder
    from common.rundir.trained_chain import load_chain
    from common.rundir.layout import lock_enclosing

    with lock_enclosing([args.save_clean_path]):  # enhanced files written into a run: one writer at a time
        trained = load_chain(args.save_path, args.weights, args, args.kernels)
        check_output_folder(args.save_clean_path, "--save_clean_path")
        if args.seed is not None:
            tf.random.set_seed(args.seed)
        print(f"enhancing {args.test_wav_dir} with {trained.path}")
        enhancer = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, args.test_batch,
                            args.test_overlap, xla=args.xla)
        failed = enhance_dir(enhancer, args.test_wav_dir, args.save_clean_path)
    return 1 if failed else 0
