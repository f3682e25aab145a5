"""The test files a listening report plays (scripts/listening_report.py): each file's input SNR, from its clean
and noisy audio, and its ΔPESQ, the enhanced PESQ averaged over the scored checkpoints minus the noisy file's
(RUN/results.csv); chosen are the best and the worst by ΔPESQ and the others spread over the input SNR range."""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from common.audio import audio
from common.evaluation.run_scores import RunScores
from common.rundir.layout import RESULTS_JSON
from common.system.errors import InputError, RunDirError

FILES = 6  # files a report plays by default: the best and the worst by ΔPESQ, four over the SNR range


@dataclasses.dataclass
class Choice:
    file: str
    snr: float  # input SNR in dB
    why: str  # 'best ΔPESQ', 'worst ΔPESQ' or 'spread over input SNR'


def input_snr(clean: np.ndarray, noisy: np.ndarray) -> float:
    """The clean signal's energy over the noise's (noisy − clean), in dB."""
    noise = np.sum((noisy - clean) ** 2)
    return float(10 * np.log10((np.sum(clean ** 2) + 1e-20) / (noise + 1e-20)))


def input_snrs(clean_dir: str, noisy_dir: str, files: list[str]) -> dict[str, float]:
    """{file: input SNR} of test files; InputError naming a file that cannot be read or whose clean and noisy
    lengths differ."""
    out = {}
    for name in files:
        try:
            clean, noisy = (audio.read_wav(os.path.join(d, name)) for d in (clean_dir, noisy_dir))
        except audio.AudioError as e:
            raise InputError(str(e)) from None
        if len(clean) != len(noisy):
            raise InputError(f"{os.path.join(noisy_dir, name)}: {len(noisy)} samples, its clean file "
                             f"{len(clean)}: not a test pair")
        out[name] = input_snr(clean, noisy)
    return out


def per_file(run: RunScores) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per metric, over run.files: the noisy file's score and the enhanced score averaged over the checkpoints.
    InputError when the results have no Noisy row."""
    if run.noisy is None:
        raise InputError(f"{run.path}: its results have no Noisy row: evaluate with --noisy_dir (as the run "
                         "scripts do)")
    return run.noisy, {m: s.mean(axis=0) for m, s in run.scores.items()}


def check_dirs(run: RunScores, clean_dir: str, noisy_dir: str) -> None:
    """InputError unless these are the folders the run was scored on (its results.json names them): the page's
    audio and its scores must be of the same files."""
    for flag, given, scored in (("--clean_dir", clean_dir, run.summary["clean_dir"]),
                                ("--noisy_dir", noisy_dir, run.summary["noisy"]["dir"])):
        if os.path.realpath(given) != os.path.realpath(scored):
            raise InputError(f"{flag} {given}: {run.path} was scored on {scored} (its {RESULTS_JSON})")


def pesq_gain(files: list[str], noisy: dict, enhanced: dict) -> dict[str, float]:
    """ΔPESQ per file: enhanced (mean over the checkpoints) − noisy."""
    return {f: float(enhanced["pesq"][j] - noisy["pesq"][j]) for j, f in enumerate(files)}


def newest_checkpoint(run: RunScores) -> int:
    """The iteration of the newest scored checkpoint (the scored folders are RUN/enhanced/<iteration>)."""
    numbered = [int(c) for c in run.checkpoints if c.isdigit()]
    if not numbered:
        raise RunDirError(f"{run.path}: no scored folder named by its checkpoint's iteration in {RESULTS_JSON} "
                          f"({', '.join(run.checkpoints)})")
    return max(numbered)


def choose(snr: dict[str, float], gain: dict[str, float], count: int = FILES) -> list[Choice]:
    """`count` distinct files (all when there are fewer), ordered by input SNR: the best and the worst by `gain`
    (ΔPESQ), then for evenly spaced SNRs from the lowest to the highest the nearest file not chosen yet."""
    files = sorted(snr)
    ranked = sorted(files, key=lambda f: (-gain[f], f))
    picks = {}
    for f, why in ((ranked[0], "best ΔPESQ"), (ranked[-1], "worst ΔPESQ"))[:count]:
        picks.setdefault(f, why)
    spread = min(count, len(files)) - len(picks)
    values = [snr[f] for f in files]
    for target in np.linspace(min(values), max(values), spread) if spread > 0 else []:
        nearest = min((f for f in files if f not in picks), key=lambda f: (abs(snr[f] - target), f))
        picks[nearest] = "spread over input SNR"
    return sorted((Choice(f, snr[f], why) for f, why in picks.items()), key=lambda c: (c.snr, c.file))
