#!/usr/bin/env python3
"""Download VoiceBank-DEMAND (28-speaker train set and the 824-file test set) from Edinburgh DataShare,
check the archives, resample 48 → 16 kHz into data/{clean,noisy}_{train,test}set_wav_16k/, and build the
training TFRecords with make_tfrecords.py. Needs network access (the only script here that does).

    python scripts/download_voicebank.py --data_dir data
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import urllib.request


from common.audio import voicebank
from common.system.progress import progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE_URL = "https://datashare.ed.ac.uk/bitstream/handle/10283/2791/"


def download(url: str, path: str) -> None:
    """Fetch url to path through a .part file (so a broken transfer is never taken for an archive)."""
    if os.path.exists(path):
        return
    with urllib.request.urlopen(url) as r, open(path + ".part", "wb") as f:
        total = int(r.headers.get("Content-Length", 0)) or None
        with progress(total=total, unit="B", unit_scale=True, desc=os.path.basename(path)) as bar:
            while chunk := r.read(1 << 20):
                f.write(chunk)
                bar.update(len(chunk))
    os.replace(path + ".part", path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data_dir", default="data")
    p.add_argument("--archive_dir", default=None, help="where the zips go (default DATA_DIR/downloads); "
                   "put zips downloaded by hand here to skip the download")
    p.add_argument("--no_tfrecords", action="store_true", help="stop after the 16 kHz wavs")
    p.add_argument("--keep_archives", action="store_true")
    args = p.parse_args(argv)
    archive_dir = args.archive_dir or os.path.join(args.data_dir, "downloads")
    os.makedirs(archive_dir, exist_ok=True)
    for stem, (out_name, expected) in voicebank.ARCHIVES.items():
        zip_path = os.path.join(archive_dir, stem + ".zip")
        download(BASE_URL + stem + ".zip", zip_path)
        n = voicebank.unpack_resampled(zip_path, os.path.join(args.data_dir, out_name), expected)
        print(f"{out_name}: {n} files")
    if not args.keep_archives and args.archive_dir is None:
        shutil.rmtree(archive_dir)
    if args.no_tfrecords:
        return 0
    return subprocess.call([sys.executable, os.path.join(ROOT, "make_tfrecords.py"),
                            "--wav_dir", os.path.join(args.data_dir, voicebank.wav_dir("clean", "train")),
                            "--noisy_dir", os.path.join(args.data_dir, voicebank.wav_dir("noisy", "train")),
                            "--save_path", args.data_dir, "--out_file", voicebank.TRAIN_RECORDS])


if __name__ == "__main__":
    sys.exit(main())
