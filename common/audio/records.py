"""The TFRecord format of the reference (docs/design.md §1) and the index that lists a record set.

One `tf.train.Example` per window with two bytes features, `wav_raw` (clean) and `noisy_raw`, each the
window's int16 samples stored as little-endian int32. A record set is one file (`segan.tfrecords`) or
shards (`segan.tfrecords-00000-of-00004`, ...); `make_tfrecords.py` writes an index beside it
(`segan.tfrecords.index.json`) with the canvas and the window count of every shard. Where an index
exists, the set is exactly the files it lists: stray files of an older build are never read.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import struct

import crc32c
import numpy as np

from common.system.errors import InputError

CLEAN_KEY = "wav_raw"
NOISY_KEY = "noisy_raw"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_window_pair(clean: np.ndarray, noisy: np.ndarray) -> bytes:
    """One (clean, noisy) window pair of int16 samples as a serialised tf.train.Example.

    Encoded directly (Example.features=1 → Features.feature=1 map entries {key=1, value=2} →
    Feature.bytes_list=1 → BytesList.value=1), so the reader processes need no TensorFlow."""
    entries = b"".join(
        _field(1, _field(1, key.encode()) + _field(2, _field(1, _field(1, np.asarray(x).astype("<i4").tobytes()))))
        for key, x in ((CLEAN_KEY, clean), (NOISY_KEY, noisy)))
    return _field(1, entries)


def shard_name(path: str, index: int, count: int) -> str:
    return path if count == 1 else f"{path}-{index:05d}-of-{count:05d}"


def index_path(path: str) -> str:
    return f"{path}.index.json"


def content_digest(path: str) -> str | None:
    """One digest of a record set's content, from its index's per-file sha256 (make_tfrecords.py writes
    them), or None for records without such an index (older builds, the reference's, shard lists)."""
    index = read_index(path) if os.path.exists(index_path(path)) else None
    shards = (index or {}).get("shards", {})
    if not shards or not all("sha256" in s for s in shards.values()):
        return None
    listed = ";".join(f"{name}:{shards[name]['sha256']}" for name in sorted(shards))
    return hashlib.sha256(listed.encode()).hexdigest()[:16]


def write_index(path: str, canvas: int, shards: dict[str, dict], meta: dict) -> None:
    """Index of a record set: canvas, {shard basename: {"windows", "bytes", "sha256"}}, and what made it."""
    tmp = index_path(path) + ".part"
    with open(tmp, "w") as f:
        json.dump({"canvas_size": canvas, "shards": shards, **meta}, f, indent=1)
    os.replace(tmp, index_path(path))


def read_index(path: str) -> dict | None:
    try:
        with open(index_path(path)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptRecordsError(index_path(path), f"unreadable index: {e}") from None


def _set_files(path: str) -> list[str]:
    """Files on disk that some build of the record set `path` may have written: the single file or shards
    of any count, finished or `.part` (the index not included)."""
    folder, base = os.path.split(path)
    name = re.compile(re.escape(base) + r"(-\d{5,}-of-\d{5,})?(\.part)?")
    return sorted(os.path.join(folder, f) for f in os.listdir(folder or ".") if name.fullmatch(f))


def remove_partial(path: str) -> None:
    """Remove the `.part` files that a killed earlier build of the set `path` left behind."""
    for f in _set_files(path) + [index_path(path) + ".part"]:
        if f.endswith(".part") and os.path.exists(f):
            os.remove(f)


def install(path: str, canvas: int, shards: dict[str, dict], meta: dict) -> None:
    """Replace any earlier build of the set `path` by the `.part` files of `shards`, once each reads back whole
    (CorruptRecordsError otherwise, nothing replaced); the read-back adds each file's sha256 to its entry.
    The old index goes first and the new one comes last, so a crash at any step never leaves an index that
    lists files of another build (an index on disk always means a complete set)."""
    folder = os.path.dirname(path)
    for name, info in shards.items():  # what was written reads back whole before it replaces anything
        part, digest = os.path.join(folder, name + ".part"), hashlib.sha256()
        if verify_record_file(part, digest) != info["windows"] or os.path.getsize(part) != info["bytes"]:
            raise CorruptRecordsError(part, f"does not read back as the {info['windows']} windows written")
        info["sha256"] = digest.hexdigest()  # the content, for a run's dataset identity (content_digest)
    if os.path.exists(index_path(path)):
        os.remove(index_path(path))
    for f in _set_files(path):
        if not f.endswith(".part"):
            os.remove(f)
    for name in shards:
        os.replace(os.path.join(folder, name + ".part"), os.path.join(folder, name))
    write_index(path, canvas, shards, meta)


def _indexed_files(path: str, index: dict) -> list[str]:
    """The files an index lists, beside it; all of them must exist."""
    files = [os.path.join(os.path.dirname(path), name) for name in index["shards"]]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)}: listed in {index_path(path)} but missing "
                                f"(rebuild the records with make_tfrecords.py)")
    return files


def resolve_record_files(path: str) -> list[str]:
    """The files of a record set given as a file, its shard prefix, a glob or a comma list. A set with an
    index is exactly the files listed there; without one (e.g. records of the TF1 code) the file itself,
    else the glob, else the shards `<path>-*-of-*` on disk."""
    files: list[str] = []
    for part in str(path).split(","):
        part = part.strip()
        index = read_index(part)
        if index is not None:
            files.extend(_indexed_files(part, index))
            continue
        if os.path.isfile(part):
            files.append(part)
            continue
        found = sorted(glob.glob(part)) or sorted(glob.glob(glob.escape(part) + "-*-of-*"))
        found = [f for f in found if not f.endswith((".json", ".part"))]
        if not found:
            raise FileNotFoundError(f"{part}: no TFRecord file or shards found "
                                    f"(make them with make_tfrecords.py)")
        files.extend(found)
    return files


class CorruptRecordsError(IOError):
    """A record file that does not read to its end, with the file's path in the message."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: corrupt or truncated ({problem}); rebuild the records with "
                         f"make_tfrecords.py")
        self.path = str(path)


def _masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One record in TFRecord framing (what tf.io.TFRecordWriter writes): length, its masked CRC32C,
    the data, its masked CRC32C."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", _masked_crc(header)) + data + struct.pack("<I", _masked_crc(data))


def verify_record_file(path: str, digest=None) -> int:
    """Count the records of a TFRecord file, checking the length and data CRCs of each (TensorFlow's
    reader checks only the length's); `digest` (a hashlib object), if given, takes every byte read. Raises
    CorruptRecordsError naming the file and the record."""
    count = 0
    with open(path, "rb") as f:
        while header := f.read(12):
            if len(header) < 12:
                raise CorruptRecordsError(path, f"record {count} is cut off in its header")
            length, length_crc = struct.unpack("<QI", header)
            if _masked_crc(header[:8]) != length_crc:
                raise CorruptRecordsError(path, f"record {count} has a damaged length field")
            body = f.read(length + 4)
            if len(body) < length + 4:
                raise CorruptRecordsError(path, f"record {count} is cut off")
            if _masked_crc(body[:length]) != struct.unpack("<I", body[length:])[0]:
                raise CorruptRecordsError(path, f"record {count} fails its data checksum")
            if digest is not None:
                digest.update(header)
                digest.update(body)
            count += 1
    return count


def check_canvas(path: str, canvas: int) -> None:
    """InputError unless every indexed part of the record set `path` was made with windows of `canvas` samples
    (a set without an index is checked at its first batch, common/audio/tfdata.py)."""
    for part in str(path).split(","):
        index = read_index(part.strip())
        if index is not None and index.get("canvas_size") != canvas:
            raise InputError(f"{part.strip()}: records of {index.get('canvas_size')}-sample windows (its index "
                             f"{index_path(part.strip())}) for a model of --canvas_size {canvas}: rebuild them with "
                             f"make_tfrecords.py --canvas_size {canvas}, or train with --canvas_size "
                             f"{index.get('canvas_size')}")


def count_windows(path: str, verify: bool = False) -> int:
    """Windows in a record set, from make_tfrecords' index where it matches the files on disk.
    Files without a matching index entry, and all files with `verify`, are read and checksummed;
    a corrupt file raises CorruptRecordsError naming it."""
    index = read_index(path) or {}
    total = 0
    for f in resolve_record_files(path):
        info = index.get("shards", {}).get(os.path.basename(f))
        if info and info.get("bytes") != os.path.getsize(f):  # never a silent re-count of another build's file
            raise CorruptRecordsError(f, f"{os.path.getsize(f)} bytes where its index {index_path(path)} lists "
                                         f"{info.get('bytes')}: not the build the index describes")
        windows = verify_record_file(f) if verify or not info else info["windows"]
        if info and windows != info["windows"]:
            raise CorruptRecordsError(f, f"{windows} windows where its index lists {info['windows']}")
        total += windows
    return total
