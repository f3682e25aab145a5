"""What every variant's main.py runs: parse the flags, then train, or (with --test_wav_dir) enhance."""
from __future__ import annotations

import sys

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config import cli
from common.config.command import Command
from common.system import cpu_threads
from common.system.errors import TrainingDiverged, exit_on_error, os_fault
from common.system.stop_signals import GracefulStop


@exit_on_error
def main(variant: str, argv=None) -> int:
    command = cli.parse(variant, argv)
    cpu_threads.use(tf, command.training.cpu_op_threads)
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    from common.training.training_run import TrainingRun

    try:
        if command.testing:
            return test(command)
        TrainingRun(command).train()
    except (TrainingDiverged, OSError) as e:  # OSError: bad or missing records, an unwritable directory
        print(f"error: {(os_fault(e) if isinstance(e, OSError) else None) or e}", file=sys.stderr)
        return 1
    except GracefulStop as e:
        print(e, file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print(f"interrupted; the same command resumes {command.training.save_path} from its last checkpoint",
              file=sys.stderr)
        return 130
    return 0


def test(command: Command) -> int:
    """Enhance a directory with the run's chain (model and pre-emphasis from its flags.json)."""
    from common.enhancement.enhance import Enhancer
    from common.enhancement.enhance_files import enhance_dir
    from common.system.paths import check_output_folder
    from common.rundir.trained_chain import load_chain
    from common.rundir.layout import lock_enclosing

    t, training = command.test, command.training
    with lock_enclosing([t.save_clean_path]):  # enhanced files written into a run: one writer at a time
        trained = load_chain(training.save_path, t.weights, command, training.kernels)
        check_output_folder(t.save_clean_path, "--save_clean_path")
        if training.seed is not None:
            tf.random.set_seed(training.seed)
        print(f"enhancing {t.test_wav_dir} with {trained.path}")
        enhancer = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, t.test_batch, t.test_overlap,
                            xla=training.xla)
        failed = enhance_dir(enhancer, t.test_wav_dir, t.save_clean_path)
    return 1 if failed else 0
