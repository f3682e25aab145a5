#!/usr/bin/env python3
"""Learning benchmark: does training improve speech, and how fast? Trains ISEGAN-SA-2 from scratch with the
quick recipe and with the paper's recipe at full width (each for at most --minutes of wall time), keeping
every checkpoint, then enhances the test set at each one and scores it beside the noisy input.

    python scripts/bench/learning.py [--data data/demo] [--configs quick paper] [--minutes 30]

Writes OUT/learning.{csv,md,png}: PESQ … STOI per checkpoint against iterations and wall time (from the
launch of training, start-up included). Training runs alone; scoring starts when it has stopped. Throughput
is reported as a share of this machine's fp32 matmul rate, measured by this script before training.
"""
import argparse
import csv
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.audio import metrics
from common.audio.voicebank import TRAIN_RECORDS, wav_dir
from common.config.named_configs import main_argv
from common.enhancement.run_enhance import enhance_checkpoints
from common.evaluation import scoring, tables
from common.evaluation.tables import cell
from common.rundir import checkpoint_files, flags_file, run_record
from common.system.errors import exit_on_error
from scripts.plots import lib as plotlib
from scripts.bench.lib import iteration_flops, matmul_rate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIANT, MODEL = main_argv("ISEGAN-SA-2")  # the paper's headline configuration
CONFIGS = {  # name: (training flags, legend)
    "quick": (["--recipe", "quick"], "quick recipe (quarter width)"),
    "paper": (["--recipe", "paper", "--batch_size", "8", "--save_freq", "50"],
              "paper recipe, full width, batch 8 (paper: 50 per GPU)"),
}
RECORDS, NOISY, CLEAN = TRAIN_RECORDS, wav_dir("noisy", "test"), wav_dir("clean", "test")
CSV_FIELDS = ("config", "iteration", "wall_s", "windows", *metrics.METRICS)


def train(name: str, run: str, records: str, minutes: float, extra: list[str]) -> float:
    """Train one configuration into `run` (fresh), stopping it after `minutes`; the launch time."""
    flags = [*MODEL, *CONFIGS[name][0], "--keep_checkpoints", "100000", "--seed", "0", *extra,
             "--e2e_dataset", records, "--save_path", run]
    cmd = [sys.executable, os.path.join(ROOT, VARIANT, "main.py"), *flags]
    print(f"[{name}] {shlex.join(cmd)}", flush=True)
    launch = time.time()
    # SIGINT stops training with a checkpoint at its current iteration; a shell without job control starts
    # background commands with SIGINT ignored, and the child would inherit that: it gets the default back
    proc, stopped = subprocess.Popen(cmd, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)), False
    try:
        proc.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        print(f"[{name}] stopped after {minutes:g} min; its saved checkpoints are scored", flush=True)
        proc.send_signal(signal.SIGINT)
        proc.wait()
        stopped = True
    if not (proc.returncode == 0 or stopped) or not checkpoint_files.checkpoint_steps(run):
        raise SystemExit(f"error: training {name} failed (exit {proc.returncode}) without a checkpoint in {run}")
    return launch


def plot(rows: list[dict], noisy: dict, path: str) -> None:
    fig, axes = plotlib.plt.subplots(2, 2, figsize=(11, 7), sharey="row")
    for r, metric in enumerate(("pesq", "ssnr")):
        for c, (x, label) in enumerate((("iteration", "iteration"), ("wall_s", "wall time (min)"))):
            ax = axes[r, c]
            for name, (_, legend) in CONFIGS.items():
                pts = [(row[x] / (60 if x == "wall_s" else 1), row[metric]) for row in rows if row["config"] == name]
                if pts:
                    ax.plot(*zip(*pts), "o-", ms=3, label=legend)
            ax.axhline(noisy[metric], color="grey", ls="--", label="noisy input")
            ax.set(xlabel=label, ylabel={"pesq": "PESQ", "ssnr": "SSNR (dB)"}[metric])
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("ISEGAN-SA-2 trained from scratch: test-set scores per checkpoint")
    plotlib.save(fig, path)


def checkpoint_rows(name: str, pairs: list, started: tuple, by_dir: dict) -> tuple[list[dict], list[str]]:
    """One row per scored checkpoint of a configuration, and notes on sets that were not scored whole."""
    run, launch, saved = started
    per_iteration = saved["training"]["batch_size"] * saved["training"]["replicas"]
    rows, notes = [], []
    for step, d in pairs:
        entry = by_dir[d]
        if not entry["complete"]:
            notes.append(f"{d}: {entry['n_files']}/{entry['n_expected']} files scored"
                         + (", mean not over the whole set" if entry["n_files"] else ", left out"))
        if entry["n_files"]:
            wall = os.path.getmtime(checkpoint_files.checkpoint_prefix(run, step) + ".index") - launch
            rows.append({"config": name, "iteration": step, "wall_s": round(wall, 1),
                         "windows": 2 * per_iteration * step, **entry["mean"]})
    return rows, notes


def throughput(name: str, rows: list[dict], saved: dict, rate: float) -> str:
    """Iterations/s between the first and the last checkpoint, as a share of the matmul rate."""
    per_iteration = saved["training"]["batch_size"] * saved["training"]["replicas"]
    adversarial = saved["training"]["adv_weight"] != 0
    span = rows[-1]["wall_s"] - rows[0]["wall_s"]
    if len(rows) < 2:
        return f"{name}: one checkpoint only (stopped by the time cap before its second): no rate to measure"
    if span <= 0:  # wall times are kept to 0.1 s: checkpoints closer than that give no rate
        return f"{name}: its checkpoints are too close in time (under 0.1 s apart) to measure a rate"
    its = (rows[-1]["iteration"] - rows[0]["iteration"]) / span
    flops = its * iteration_flops(run_record.model_config(saved), per_iteration, adversarial)
    windows = f"{2 * per_iteration * its:.1f} windows/s, D's and G's batches" if adversarial else \
        f"{per_iteration * its:.1f} windows/s through G; D off"
    return (f"{name}: {its:.2f} iterations/s ({windows}) between its first and last checkpoint (saves included) = "
            f"{flops / 1e9:.1f} GFLOP/s, {100 * flops / rate:.1f} % of the fp32 matmul rate ({rate / 1e9:.1f} GFLOP/s)")


def write(out: str, rows: list[dict], noisy: dict, notes: list[str], data: str) -> None:
    """learning.csv, learning.md (printed) and learning.png in `out`."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "learning.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, CSV_FIELDS)
        w.writeheader()
        w.writerow({"config": "noisy", **noisy["mean"]})
        w.writerows({k: r[k] for k in CSV_FIELDS} for r in rows)
    head = ["config", "iteration", "wall (min)", *(m.upper() for m in metrics.METRICS)]
    lines = [f"ISEGAN-SA-2 trained from scratch on {data}: test-set means ({noisy['n_files']}/{noisy['n_expected']} "
             f"files) per checkpoint; wall time from the launch of training.", ""]
    lines += tables.markdown(head, [["Noisy", "", "", *(cell(noisy["mean"][m]) for m in metrics.METRICS)]] + [
        [r["config"], r["iteration"], f"{r['wall_s'] / 60:.1f}", *(cell(r[m]) for m in metrics.METRICS)] for r in rows])
    text = "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"
    with open(os.path.join(out, "learning.md"), "w") as f:
        f.write(text)
    print(text)
    plot(rows, noisy["mean"], os.path.join(out, "learning.png"))


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.path.join("data", "demo"),
                   help=f"corpus root with {RECORDS}, {NOISY}/ and {CLEAN}/ (default: the demo corpus)")
    p.add_argument("--records", help=f"training records (default: DATA/{RECORDS})")
    p.add_argument("--out", default=os.path.join("runs", "bench_learning"))
    p.add_argument("--configs", nargs="+", choices=tuple(CONFIGS), default=list(CONFIGS))
    p.add_argument("--minutes", type=float, default=30.0, help="wall-time cap of each configuration's training")
    p.add_argument("--flags", default="", help="more training flags for every configuration (they win)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="scoring processes")
    p.add_argument("--matmul_size", type=int, default=4096)
    a = p.parse_args(argv)
    records, noisy_dir, clean_dir = (os.path.join(a.data, n) for n in (RECORDS, NOISY, CLEAN))
    records = a.records or records
    missing = [x for x in (records + ".index.json", noisy_dir, clean_dir) if not os.path.exists(x)]
    if missing:
        raise SystemExit(f"error: {a.data} lacks {', '.join(missing)} (./run_isegan.sh makes the demo corpus and "
                         f"its records; make_tfrecords.py makes VoiceBank's)")
    rate, = matmul_rate(a.matmul_size, [], 5)
    started = {}
    for name in a.configs:
        run = os.path.join(a.out, name)
        if os.path.exists(run):
            print(f"[{name}] removing the previous benchmark run {run}")
            shutil.rmtree(run)
        launch = train(name, run, records, a.minutes, shlex.split(a.flags))
        saved = flags_file.load_flags(run)
        started[name] = (run, launch, saved)
    found = {name: [(step, out) for step, out, _ in enhance_checkpoints(
                        run, noisy_dir, checkpoint_files.good_steps(run), seed=0)]  # the same z for each
             for name, (run, _, _) in started.items()}
    summary, _ = scoring.score_dirs(clean_dir, [d for pairs in found.values() for _, d in pairs], jobs=a.jobs,
                                       noisy_dir=noisy_dir)
    by_dir = {d["dir"]: d for d in summary["dirs"]}
    rows, notes = [], []
    for name, pairs in found.items():
        mine, problems = checkpoint_rows(name, pairs, started[name], by_dir)
        rows += mine
        notes += problems + [throughput(name, mine, started[name][2], rate)] * (len(mine) > 1)
    write(a.out, rows, summary["noisy"], notes, a.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
