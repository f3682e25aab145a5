"""Validation during training (--valid_wav_dir, not the paper's): PESQ and STOI of held-out pairs at
checkpoints, and the best checkpoint kept."""
from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from common.audio import audio, metrics
from common.enhancement.enhance import Enhancer
from common.nn.spectral_norm import deferred_updates
from common.rundir.layout import BEST_DIR, BEST_FILE
from common.system.errors import InputError
from common.system.progress import progress


class Validator:
    """Scores the chain on held-out pairs (DIR/clean/*.wav and DIR/noisy/*.wav, matched by name) with
    PESQ and STOI, logs valid/pesq and valid/stoi to TensorBoard, and keeps the checkpoint with the best
    mean PESQ as a copy in RUN/best/ (out of CheckpointManager's reach), recorded with every score so far
    in RUN/best_checkpoint.json (kept across resumes)."""

    def __init__(self, chain, valid_dir: str, canvas: int, preemph: float, run_dir: str):
        names = sorted(n for n in os.listdir(os.path.join(valid_dir, "noisy")) if n.lower().endswith(".wav"))
        clean_dir = os.path.join(valid_dir, "clean")
        unmatched = [n for n in names if not os.path.exists(os.path.join(clean_dir, n))]
        if not names or unmatched:
            raise InputError(f"--valid_wav_dir {valid_dir}: "
                             + (f"no clean/ partner for {unmatched}" if unmatched else "no .wav files in noisy/"))
        try:  # read once; an unusable file stops the run before the first iteration
            self.pairs = [(n, audio.read_wav_int16(os.path.join(clean_dir, n)),
                           audio.read_wav_int16(os.path.join(valid_dir, "noisy", n))) for n in names]
        except audio.AudioError as e:
            raise InputError(f"--valid_wav_dir: {e}") from None
        self.enhancer = Enhancer(chain, canvas, preemph)
        self.run_dir, self.path = run_dir, os.path.join(run_dir, BEST_FILE)
        self.record = {"criterion": "pesq", "history": []}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.record = json.load(f)

    def scores(self) -> dict:
        """Mean PESQ and STOI over the pairs that can be scored, and how many could."""
        rows = []
        for name, clean, noisy in progress(self.pairs, desc="validation", unit="file", leave=False):
            with deferred_updates():  # the spectral norms' u stay as training left them (traced without updates)
                y = self.enhancer(noisy).astype(np.float64)
            x = clean / 32768.0
            try:
                pesq = metrics.FLOORS["pesq"] if metrics.silent(y) else metrics.wideband_pesq(x, y)  # as evaluated
                rows.append((pesq, metrics.classic_stoi(x, y)))
            except metrics.ScoringError as e:
                tqdm.write(f"validation: {name} not scored: {e}")
        pesq, stoi = np.mean(rows, axis=0) if rows else (np.nan, np.nan)
        return {"pesq": float(pesq), "stoi": float(stoi), "files": len(rows)}

    def __call__(self, step: int, checkpoint: str, writer) -> None:
        scores = {"step": step, **self.scores()}
        with writer.as_default(step=step):
            tf.summary.scalar("valid/pesq", scores["pesq"])
            tf.summary.scalar("valid/stoi", scores["stoi"])
        self.record["history"].append(scores)
        old = self.record.get("path")
        complete = scores["files"] == len(self.pairs)  # a mean over fewer files is not comparable
        if complete and (old is None or scores["pesq"] > self.record["pesq"]):
            os.makedirs(os.path.join(self.run_dir, BEST_DIR), exist_ok=True)
            for f in tf.io.gfile.glob(checkpoint + ".*"):
                tf.io.gfile.copy(f, os.path.join(self.run_dir, BEST_DIR, os.path.basename(f)), overwrite=True)
            self.record.update(scores, path=os.path.join(BEST_DIR, os.path.basename(checkpoint)))
        tmp = self.path + ".part"
        with open(tmp, "w") as f:
            json.dump(self.record, f, indent=1)
        os.replace(tmp, self.path)
        if old and old != self.record["path"]:
            for f in tf.io.gfile.glob(os.path.join(self.run_dir, old) + ".*"):
                tf.io.gfile.remove(f)
        tqdm.write(f"validation at {step}: PESQ {scores['pesq']:.3f}, STOI {scores['stoi']:.3f} "
                   f"({scores['files']} of {len(self.pairs)} files); best: {self.record.get('path')}")
