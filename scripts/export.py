#!/usr/bin/env python3
"""Export a trained run's generator chain for deployment: a SavedModel, a TFLite model and an ONNX model.

    python scripts/export.py --run runs/ISEGAN-SA-2 [--weights N|latest|best] [--test_overlap 0.5] --out DIR

Writes DIR/saved_model/ (signatures `enhance`: waveform → enhanced, z drawn inside from N(0, 1); and
`enhance_with_z`: waveform, z → enhanced), DIR/enhancer.tflite and DIR/enhancer.onnx (`enhance_with_z`; ONNX
by tf2onnx from the TFLite model, opset 17; each conversion in a process of its own) and DIR/export.json (the run,
the checkpoint, the windowing, the z shape rule). A waveform is float32 at 16 kHz, mono, any length; the output
has the same length and is what test mode computes (common/enhancement/export.py says how, and how z is drawn).
Each export is loaded back and checked against the chain it came from on a test signal before this exits;
README "Deployment" shows how to load each.
"""
import argparse
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.config.flags import add_checkpoint_flag, add_field_flags, add_overlap_flag, add_run_flag
from common.config.train_config import TrainConfig
from common.enhancement.export_files import write_exports
from common.rundir.trained_chain import load_chain
from common.system.errors import exit_on_error
from common.system.paths import check_output_folder


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_flag(p)
    add_checkpoint_flag(p)
    add_overlap_flag(p)
    p.add_argument("--out", required=True, help="the export folder (made; must not hold an export already)")
    add_field_flags(p, TrainConfig, only=("kernels",))
    a = p.parse_args(argv)
    check_output_folder(a.out, "--out")
    trained = load_chain(a.run, a.weights, kernels=a.kernels)
    print(f"exporting {trained.path}", file=sys.stderr)
    report = write_exports(trained, a.out, a.test_overlap)
    for line in report:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
