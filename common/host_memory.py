"""Host memory for TensorFlow's CPU tensors.

TensorFlow takes its CPU buffers from malloc. glibc serves every request above its mmap threshold (at most
32 MB) with a fresh mapping and returns it to the system when it is freed, so each training step pays the page
faults of its weight-sized tensors (gradients of kernels of up to 130 MB) again. On the 2-core CPU that was
5-13 % of an iteration at batch 4 (scripts/bench/train.py, with and without). `reuse_freed_memory()` makes
glibc serve large requests from its heap and keep what is freed there for the next step; the process then
holds on to its peak memory until it exits, as TensorFlow's own GPU allocator does.
"""
import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters (malloc.h)


def reuse_freed_memory() -> bool:
    """Under glibc: no mmap per allocation, and freed memory is kept (up to 2 GB at the heap's top) rather than
    returned. Returns whether it applied (False on other C libraries, which are left as they are)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1))
