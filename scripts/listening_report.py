#!/usr/bin/env python3
"""A run's listening report, or a grid of runs side by side: self-contained pages (relative paths, nothing
fetched at view time) with players and spectrograms of a few test files, the results and every file's scores.

    python scripts/listening_report.py --run RUN --noisy_dir D --clean_dir D [--files 6]
        RUN/report.html, and RUN/report/: per chosen file its noisy, each stage and clean wav (16-bit PCM) and
        spectrograms.png; a copy of RUN/training.png
    python scripts/listening_report.py --grid RUN [RUN ...] --noisy_dir D --clean_dir D --out DIR [--files 6]
        DIR/grid.html, and DIR/grid/: per chosen file noisy, each run's output and clean, and their spectrograms

The files (common/evaluation/listening.py): the best and the worst by ΔPESQ (from RUN/results.csv; the grid: its
first run's) and the others spread over the input SNR. Each run enhances them with its newest scored
checkpoint. Writing into a run directory holds its lock. The main job writes RUN/report.html at its end.
"""
import argparse
import os
import shutil
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

import numpy as np

from common.audio import audio
from common.enhancement.enhance import Enhancer
from common.evaluation import listening, listening_page as pages, run_scores
from common.evaluation.paper_table import CORPUS_LABELS
from common.rundir import layout
from common.rundir.trained_chain import load_chain
from common.system.errors import InputError, exit_on_error
from scripts.plots import lib as plotlib, spectrograms as plot_spectrograms

REPORT, GRID = "report", "grid"  # RUN/report.html beside RUN/report/; DIR/grid.html beside DIR/grid/
DPI = 90  # the spectrograms: 8 inches wide, 720 pixels


class Scored:
    """A run's per-file scores (RUN/results.*), checked to be of the folders given, and its newest scored
    checkpoint."""

    def __init__(self, path: str, clean_dir: str, noisy_dir: str):
        self.path, self.run = path, run_scores.load_run(path)
        self.noisy, self.enhanced = listening.per_file(self.run)
        listening.check_dirs(self.run, clean_dir, noisy_dir)
        self.iteration = listening.newest_checkpoint(self.run)

    def enhancer(self) -> Enhancer:
        trained = load_chain(self.path, str(self.iteration))
        return Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, all_stages=True, eager=True)

    def pesq(self, name: str) -> tuple[float, float]:
        """The file's noisy PESQ and its enhanced PESQ (mean over the checkpoints)."""
        j = self.run.files.index(name)
        return float(self.noisy["pesq"][j]), float(self.enhanced["pesq"][j])

    def corpus(self) -> str:
        corpus = (self.run.flags.get("dataset") or {}).get("corpus", "unknown")
        return CORPUS_LABELS.get(corpus, corpus)


def read(path: str) -> np.ndarray:
    try:
        return audio.read_wav_int16(path)
    except audio.AudioError as e:
        raise InputError(str(e)) from None


def save_wav(path: str, x: np.ndarray) -> None:
    """16-bit PCM: int16 samples as they are, float ones rounded and clipped."""
    audio.write_wav(path, x if x.dtype == np.int16 else audio.to_int16(x))


def save_spectrograms(path: str, noisy: np.ndarray, outputs, clean: np.ndarray, titles=()) -> None:
    """Noisy, the outputs and clean on one colour scale (scripts/plots/spectrograms.py); `titles` rename the
    outputs' panels (default: stage 1 … N)."""
    fig = plot_spectrograms.figure(audio.normalize(noisy), outputs, audio.normalize(clean))
    for ax, title in zip(fig.axes[1:], titles):
        ax.set_title(title)
    inches = fig.get_figheight()  # fixed margins: bbox_inches="tight" would draw the figure twice
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.5 / inches, top=1 - 0.3 / inches, hspace=0.35)
    fig.savefig(path, dpi=DPI)
    plotlib.plt.close(fig)


def publish(folder: str, build) -> str:
    """Write the page's folder under a temporary name (`build(tmp)` fills it and returns the page's HTML), then
    put the folder and the page (folder + '.html') in place; returns the page's path."""
    tmp, page = folder + ".part", folder + ".html"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    text = build(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    with open(page + ".part", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(page + ".part", page)
    return page


def report(run: str, noisy_dir: str, clean_dir: str, count: int) -> str:
    """RUN/report.html and RUN/report/; returns the page's path."""
    s = Scored(run, clean_dir, noisy_dir)
    files = s.run.files
    snr = listening.input_snrs(clean_dir, noisy_dir, files)
    chosen = listening.choose(snr, listening.pesq_gain(files, s.noisy, s.enhanced), count)
    enhancer = s.enhancer()

    def build(tmp: str) -> str:
        examples = []
        for c in chosen:
            stem = os.path.splitext(c.file)[0]
            noisy, clean = read(os.path.join(noisy_dir, c.file)), read(os.path.join(clean_dir, c.file))
            stages = enhancer.process(audio.normalize(noisy))
            signals = [("noisy", noisy), *((f"stage {k + 1}", y) for k, y in enumerate(stages)), ("clean", clean)]
            clips = []
            for label, x in signals:
                wav = f"{stem}/{label.replace(' ', '-')}.wav"
                save_wav(os.path.join(tmp, wav), x)
                clips.append(pages.Clip(label, f"{REPORT}/{wav}"))
            clips[-2].note = "the output"
            save_spectrograms(os.path.join(tmp, stem, "spectrograms.png"), noisy, stages, clean)
            examples.append(pages.Example(c, clips, f"{REPORT}/{stem}/spectrograms.png"))
        training = None
        if os.path.isfile(os.path.join(run, "training.png")):
            shutil.copyfile(os.path.join(run, "training.png"), os.path.join(tmp, "training.png"))
            training = f"{REPORT}/training.png"
        return pages.report(s.run.name, f"ckpt-{s.iteration}", s.corpus(), s.run.summary, files, snr, s.noisy,
                            s.enhanced, examples, training)

    with layout.lock(run):
        return publish(os.path.join(run, REPORT), build)


def grid(runs: list[str], noisy_dir: str, clean_dir: str, out: str, count: int) -> str:
    """DIR/grid.html and DIR/grid/; returns the page's path."""
    scored = [Scored(r, clean_dir, noisy_dir) for r in runs]
    run_scores.same_test_set([s.run for s in scored])
    first = scored[0]
    snr = listening.input_snrs(clean_dir, noisy_dir, first.run.files)
    chosen = listening.choose(snr, listening.pesq_gain(first.run.files, first.noisy, first.enhanced), count)
    names = [s.run.name for s in scored]
    noisy = {c.file: read(os.path.join(noisy_dir, c.file)) for c in chosen}
    outputs = {c.file: [] for c in chosen}
    for s in scored:  # one chain at a time
        enhancer = s.enhancer()
        for c in chosen:
            outputs[c.file].append(enhancer.process(audio.normalize(noisy[c.file]))[-1])

    def build(tmp: str) -> str:
        examples = []
        for c in chosen:
            stem = os.path.splitext(c.file)[0]
            clean = read(os.path.join(clean_dir, c.file))
            save_wav(os.path.join(tmp, stem, "noisy.wav"), noisy[c.file])
            save_wav(os.path.join(tmp, stem, "clean.wav"), clean)
            clips = [pages.Clip("noisy", f"{GRID}/{stem}/noisy.wav", f"PESQ {first.pesq(c.file)[0]:.2f}")]
            for k, (s, y) in enumerate(zip(scored, outputs[c.file])):
                save_wav(os.path.join(tmp, stem, f"run-{k + 1}.wav"), y)
                clips.append(pages.Clip(s.run.name, f"{GRID}/{stem}/run-{k + 1}.wav", pages.pesq_note(*s.pesq(c.file))))
            clips.append(pages.Clip("clean", f"{GRID}/{stem}/clean.wav"))
            save_spectrograms(os.path.join(tmp, stem, "spectrograms.png"), noisy[c.file], outputs[c.file], clean,
                              [f"{n} (ckpt-{s.iteration})" for n, s in zip(names, scored)])
            examples.append(pages.Example(c, clips, f"{GRID}/{stem}/spectrograms.png"))
        return pages.grid(names, first.corpus(), [s.run.summary for s in scored], first.run.files, examples)

    os.makedirs(out, exist_ok=True)
    with layout.lock_enclosing([out]):
        return publish(os.path.join(out, GRID), build)


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="run directory: RUN/report.html")
    which.add_argument("--grid", nargs="+", metavar="RUN", help="run directories: DIR/grid.html (--out DIR)")
    p.add_argument("--noisy_dir", required=True, help="the noisy test files the runs were scored on")
    p.add_argument("--clean_dir", required=True, help="their clean references")
    p.add_argument("--out", help="the grid's folder")
    p.add_argument("--files", type=int, default=listening.FILES, help="test files played (default: %(default)s)")
    a = p.parse_args(argv)
    if a.files < 1:
        p.error("--files must be at least 1")
    for flag in ("noisy_dir", "clean_dir"):
        if not os.path.isdir(getattr(a, flag)):
            p.error(f"--{flag} {getattr(a, flag)} is not a directory")
    if a.grid and not a.out:
        p.error("--grid needs --out DIR")
    if a.run:
        print(f"listening report: {report(a.run, a.noisy_dir, a.clean_dir, a.files)}")
    else:
        print(f"listening grid: {grid(a.grid, a.noisy_dir, a.clean_dir, a.out, a.files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
