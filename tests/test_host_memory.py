"""common.host_memory: after import_tensorflow(), a large buffer freed and taken again costs no page faults."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = """
import resource, sys
{setup}
size = 256 * 2 ** 20
block = bytearray(size)  # malloc'd and written
del block
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = bytearray(size)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults_of_second_buffer(setup: str) -> int:
    out = subprocess.run([sys.executable, "-c", MEASURE.format(setup=setup)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)
    return int(out.stdout.split()[-1])


def test_a_freed_large_buffer_is_reused_without_page_faults():
    pages = 256 * 2 ** 20 // 4096
    assert faults_of_second_buffer("") > pages // 2  # glibc's default: a fresh mapping, faulted in again
    assert faults_of_second_buffer("from common.quiet_tf import import_tensorflow; import_tensorflow()") < pages // 20
