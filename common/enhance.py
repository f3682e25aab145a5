"""Test-time enhancement with a trained chain (SPEC Part A §9, Part 0 §5).

The whole utterance is normalised and pre-emphasised, cut into non-overlapping canvas-long windows
(the last zero-padded), all windows of a file go through the chain in batched calls, the last stage's
output is trimmed to the input length and de-emphasised, and written as a float32 wav under the input's
name. `overlap` > 0 (not the paper's) instead uses windows with that overlap, blended with a Hann window.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import scipy.signal
import tensorflow as tf
from tqdm import tqdm

from common import audio, config
from common.models import build_models
from common.trainer import CHECKPOINT_DIR


def checkpoint_path(run_dir: str, weights: str = "latest") -> str:
    """The checkpoint of a run for `weights` = an iteration number or 'latest'."""
    ckpt_dir = os.path.join(run_dir, CHECKPOINT_DIR)
    if str(weights) == "latest":
        path = tf.train.latest_checkpoint(ckpt_dir)
        if path is None:
            raise SystemExit(f"error: no checkpoint in {ckpt_dir}")
        return path
    path = os.path.join(ckpt_dir, f"ckpt-{int(weights)}")
    if not tf.io.gfile.exists(path + ".index"):
        have = sorted(int(p.split("-")[-1].split(".")[0]) for p in tf.io.gfile.glob(f"{ckpt_dir}/ckpt-*.index"))
        raise SystemExit(f"error: no checkpoint {path}; {ckpt_dir} has iterations {have}")
    return path


def checkpoint_steps(run_dir: str) -> list[int]:
    """Iteration numbers of the checkpoints of a run, ascending."""
    files = tf.io.gfile.glob(os.path.join(run_dir, CHECKPOINT_DIR, "ckpt-*.index"))
    return sorted(int(os.path.basename(p)[5:-6]) for p in files)


def load_chain(cfg, run_dir: str, weights: str = "latest"):
    """A GeneratorChain for `cfg` with the weights of a run's checkpoint; (chain, path)."""
    saved = config.load_flags(run_dir)
    if saved is not None and config.model_mismatch(saved, cfg):
        raise SystemExit(f"error: the flags do not match the run in {run_dir}:\n  "
                         + "\n  ".join(config.model_mismatch(saved, cfg)))
    path = checkpoint_path(run_dir, weights)
    chain, _ = build_models(cfg)
    status = tf.train.Checkpoint(chain=chain).read(path)
    try:
        status.expect_partial().assert_existing_objects_matched()
    except AssertionError as e:
        raise SystemExit(f"error: {path} does not hold this model's generator weights: {e}") from None
    return chain, path


class Enhancer:
    def __init__(self, chain, canvas: int, preemph: float, batch: int = 64, overlap: float = 0.0):
        self.canvas, self.preemph, self.batch = canvas, preemph, batch
        self.hop = max(1, int(round(canvas * (1.0 - overlap))))
        self._last_stage = tf.function(lambda w: chain(w)[-1],
                                       input_signature=[tf.TensorSpec([None, canvas, 1], tf.float32)])

    def windows_out(self, windows: np.ndarray) -> np.ndarray:
        """[W, canvas] → the chain's last stage for each window, in calls of up to `batch` windows."""
        out = [self._last_stage(windows[i:i + self.batch, :, None]).numpy()[..., 0]
               for i in range(0, len(windows), self.batch)]
        return np.concatenate(out) if out else np.zeros((0, self.canvas), np.float32)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """int16 samples of an utterance → the enhanced float32 signal of the same length."""
        x = audio.pre_emphasis(audio.normalize(samples), self.preemph)
        if self.hop == self.canvas:
            count = -(-len(x) // self.canvas)
            padded = np.pad(x, (0, count * self.canvas - len(x)))
            y = self.windows_out(padded.reshape(count, self.canvas)).reshape(-1)[:len(x)]
        else:
            y = self._overlap_add(x)
        return audio.de_emphasis(y, self.preemph)

    def _overlap_add(self, x: np.ndarray) -> np.ndarray:
        lead = self.canvas - self.hop  # every real sample is covered by full window weight
        count = -(-(len(x) + lead) // self.hop)
        padded = np.pad(x, (lead, count * self.hop + self.canvas - len(x) - lead))
        starts = np.arange(count) * self.hop
        out = self.windows_out(np.stack([padded[s:s + self.canvas] for s in starts]))
        w = scipy.signal.get_window("hann", self.canvas, fftbins=True).astype(np.float32)
        acc = np.zeros(len(padded), np.float32)
        norm = np.zeros(len(padded), np.float32)
        for s, o in zip(starts, out):
            acc[s:s + self.canvas] += w * o
            norm[s:s + self.canvas] += w
        return (acc / np.maximum(norm, 1e-6))[lead:lead + len(x)]


def enhance_dir(enhancer: Enhancer, in_dir: str, out_dir: str) -> int:
    """Enhance every .wav of in_dir into out_dir (same names); unusable files are reported by name and
    skipped. Returns the number of files that failed."""
    names = sorted(f for f in os.listdir(in_dir) if f.lower().endswith(".wav"))
    if not names:
        raise SystemExit(f"error: no .wav files in {in_dir}")
    failed = 0
    for name in tqdm(names, unit="file", desc=f"enhance → {out_dir}"):
        try:
            samples = audio.read_wav_int16(os.path.join(in_dir, name))
        except audio.AudioError as e:
            print(f"skipped: {e}", file=sys.stderr)
            failed += 1
            continue
        audio.write_wav(os.path.join(out_dir, name), enhancer(samples).astype(np.float32))
    return failed
