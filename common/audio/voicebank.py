"""VoiceBank-DEMAND (Valentini et al., 28-speaker version) archives → the 16 kHz layout the project uses:
DIR/{clean,noisy}_{train,test}set_wav_16k/*.wav, 16-bit mono. No network here (see scripts/download_voicebank.py)."""
from __future__ import annotations

import io
import multiprocessing as mp
import os
import zipfile

import soundfile as sf

from common.audio import audio
from common.system.progress import progress



def wav_dir(kind: str, split: str) -> str:
    """A corpus folder of the project's layout (VoiceBank's and the demo corpus's): `clean` or `noisy`,
    `train` or `test`."""
    return f"{kind}_{split}set_wav_16k"


TRAIN_RECORDS = "segan.tfrecords"  # the run scripts' training records beside the wav folders

# archive stem → (output directory, number of wavs in the published archive)
ARCHIVES = {
    "clean_trainset_28spk_wav": (wav_dir("clean", "train"), 11572),
    "noisy_trainset_28spk_wav": (wav_dir("noisy", "train"), 11572),
    "clean_testset_wav": (wav_dir("clean", "test"), 824),
    "noisy_testset_wav": (wav_dir("noisy", "test"), 824),
}


def check_archive(zip_path: str, expected: int | None) -> list[str]:
    """The wav members of an archive after a CRC check; raises ValueError naming the archive."""
    try:
        with zipfile.ZipFile(zip_path) as z:
            bad = z.testzip()
            members = sorted(m for m in z.namelist()
                             if m.lower().endswith(".wav") and not os.path.basename(m).startswith("._"))
    except zipfile.BadZipFile as e:
        raise ValueError(f"{zip_path}: not a readable zip archive ({e}); delete it and download again") from None
    if bad is not None:
        raise ValueError(f"{zip_path}: member {bad} fails its CRC check; delete it and download again")
    if expected is not None and len(members) != expected:
        raise ValueError(f"{zip_path}: holds {len(members)} wav files, expected {expected}")
    return members


def _convert(task) -> str:
    zip_path, member, out_path = task
    with zipfile.ZipFile(zip_path) as z:
        x, sr = sf.read(io.BytesIO(z.read(member)), dtype="float64")
    if x.ndim > 1:
        raise ValueError(f"{zip_path}:{member}: has {x.shape[1]} channels; mono expected")
    audio.write_wav(out_path, audio.to_int16(audio.resample(x, sr, audio.SAMPLE_RATE)))
    return out_path


def unpack_resampled(zip_path: str, out_dir: str, expected: int | None = None, jobs: int | None = None) -> int:
    """Every wav of the archive resampled to 16 kHz into out_dir (flat, same basenames).
    Files already converted are kept, so an interrupted run resumes. Returns the number of files."""
    members = check_archive(zip_path, expected)
    os.makedirs(out_dir, exist_ok=True)
    tasks = [(zip_path, m, os.path.join(out_dir, os.path.basename(m))) for m in members]
    todo = [t for t in tasks if not os.path.exists(t[2])]
    if todo:
        with mp.get_context("spawn").Pool(jobs or os.cpu_count()) as pool:
            for _ in progress(pool.imap_unordered(_convert, todo, chunksize=16), total=len(todo),
                          desc=os.path.basename(out_dir), unit="file"):
                pass
    return len(tasks)
