#!/usr/bin/env python3
"""The GPU check (scripts/gpu_check.sh): what a GPU server needs to know before a paper run, unattended, in one JSON
and one markdown report.

    python scripts/bench/gpu_check.py OUT_DIR [--device gpu|cpu] [--configs ISEGAN-SA-2 ...] [--modes ...]
                                      [--kernels tuned native] [--batch_size B] [--iterations 3] [--tests EXPR]

1. The device: its name, compute capability and memory; TensorFlow and the CUDA and cuDNN it was built for.
2. Equality with the CPU: the tests marked `gpu` (tests/test_gpu.py), in a pytest process of their own, with the
   figures they record (largest deviations, the share of each tolerance used, the all-reduce that ran).
3. Speed: per configuration (default ISEGAN-SA-2), mode (scripts/bench/lib.py MODES: fp32 = TF32 off, tf32 =
   TensorFlow's default, xla, bfloat16, float16) and kernel form (common/nn/conv_kernels.py), each in a process of
   its own (its memory freed after; one that fails, e.g. out of memory, or takes over --timeout, is reported and
   the rest go on): training windows/s at the paper's batch on one device, as a share of the fp32 matmul rate (TF32
   off) measured in the same process, and the peak memory (a GPU: TensorFlow's allocator peak; a CPU: the
   process's peak RSS).
4. Hours: of a paper run of each timed configuration, and of each configuration of the grid, scaled by its FLOPs
   (scripts/bench/lib.py iteration_flops) from the first configuration's rate, per mode with its faster kernel form.

--device gpu (default) on a machine whose TensorFlow sees no GPU: one line that says so, exit 0, nothing written.
--device cpu: the same report from the CPU (any GPU hidden). --small: the tests' tiny models (the suite's check of
this script). Exit 1 when a test failed or a timing failed; a timing over --timeout is stopped and reported, not
a failure.
"""
import argparse
import json
import multiprocessing
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

from common.system import locks
from common.system.errors import exit_on_error
from common.system.progress import progress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FIGURES_ENV = "GPU_CHECK_FIGURES"  # a JSON-lines file the `gpu` tests append their figures to (tests/devices.py)
REPORT_JSON, REPORT_MD, TESTS_LOG = "gpu_check.json", "gpu_check.md", "gpu_tests.log"
DEFAULT_MODES = ("fp32", "tf32", "xla", "bfloat16", "float16")


@exit_on_error
def main(argv=None) -> int:
    from common.config.named_configs import PAPER_CONFIGS
    from common.config.train_config import KERNEL_FORMS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir", help="folder for gpu_check.json and gpu_check.md")
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu", help="cpu: the report from the CPU")
    p.add_argument("--configs", nargs="+", default=["ISEGAN-SA-2"], choices=PAPER_CONFIGS,
                   help="configurations to time (the first one's rate gives the grid's hours)")
    p.add_argument("--modes", nargs="+", default=list(DEFAULT_MODES), help="speed modes (scripts/bench/lib.py)")
    forms = [f for f in KERNEL_FORMS if f != "auto"]  # each timed as it is
    p.add_argument("--kernels", nargs="+", default=forms, choices=forms)
    p.add_argument("--batch_size", type=int, help="windows per batch (default: the paper's on one device)")
    p.add_argument("--iterations", type=int, default=3, help="timed iterations after a warm-up (best one counts)")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds one timing may take, tracing included, before it is stopped and left out (300)")
    p.add_argument("--tests", metavar="EXPR", help="only the `gpu` tests pytest -k EXPR selects")
    p.add_argument("--small", action="store_true", help="the tests' tiny models (a check of this script)")
    a = p.parse_args(argv)
    if a.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before TensorFlow starts, here and in every child
    from common.system.quiet_tf import import_tensorflow

    tf = import_tensorflow()
    from scripts.bench.lib import MODES

    if unknown := sorted(set(a.modes) - set(MODES)):
        p.error(f"--modes: {', '.join(unknown)} not among {', '.join(MODES)}")
    gpu = a.device == "gpu"
    if gpu and not tf.config.list_physical_devices("GPU"):
        print(f"no GPU: TensorFlow {tf.__version__} sees none, so there is nothing to check (README \"GPU servers\"; "
              f"--device cpu writes the report from the CPU)")
        return 0
    os.makedirs(a.out_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # a scheduler's stop: children stopped
    with locks.exclusive(os.path.join(a.out_dir, ".gpu_check.lock"), f"GPU check {a.out_dir}"):
        return _check(a, gpu)


def _check(a, gpu) -> int:
    from scripts.bench import gpu_report

    start = time.time()
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "device": _in_child(_device_facts, gpu),
              "arguments": {k: v for k, v in vars(a).items() if k != "out_dir"}, "tests_log": TESTS_LOG}
    variants = [(name, mode, form) for name in a.configs for mode in a.modes for form in a.kernels]
    with progress(total=1 + len(variants), desc="GPU check", unit="step", dynamic_ncols=True) as bar:
        bar.set_postfix_str("the gpu tests")
        report["tests"] = _run_tests(a.tests, os.path.join(a.out_dir, TESTS_LOG))
        bar.write(f"tests: {sum(t['outcome'] == 'passed' for t in report['tests'])} of {len(report['tests'])} "
                  f"passed")
        bar.update()
        report["speed"] = []
        for name, mode, form in variants:
            bar.set_postfix_str(f"{name} {mode} {form}")
            row = _in_child(_time_variant, name, mode, form, a.batch_size, a.iterations, a.small, gpu,
                            timeout=a.timeout)
            report["speed"].append({"config": name, "mode": mode, "kernels": form, **row})
            bar.write(gpu_report.speed_line(report["speed"][-1]))
            bar.update()
    report["hours"] = gpu_report.hours(report["speed"], a.configs[0], a.small)
    report["seconds"] = round(time.time() - start)
    failed = [t["name"] for t in report["tests"] if t["outcome"] != "passed"] or ([] if report["tests"] else
                                                                                   ["no gpu test ran"])
    failed += [f"{r['config']} {r['mode']} {r['kernels']}" for r in report["speed"]
               if "error" in r and not r.get("timed_out")]
    report["failed"] = failed
    slow = [f"{r['config']} {r['mode']} {r['kernels']}" for r in report["speed"] if r.get("timed_out")]
    with open(os.path.join(a.out_dir, REPORT_JSON), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(a.out_dir, REPORT_MD), "w") as f:
        f.write(gpu_report.markdown(report))
    print(f"{os.path.join(a.out_dir, REPORT_MD)}: " + (f"FAILED: {', '.join(failed)}" if failed else
                                                       "every check passed")
          + (f"; not timed, over {a.timeout:.0f} s: {', '.join(slow)}" if slow else "") + f" ({report['seconds']} s)")
    return 1 if failed else 0


def _in_child(fn, *args, timeout=None):
    """fn(*args) in a fresh process (its TensorFlow, GPU memory and compiled programs freed with it); a process that
    fails, dies (killed, e.g. out of memory) or takes over `timeout` seconds (stopped) gives {"error": ...}."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_send_result, args=(send, fn, *args))
    process.start()
    send.close()
    try:
        if not receive.poll(timeout):  # data, or the end of the pipe when the process ends
            process.kill()
            return {"error": f"stopped after {timeout:.0f} s", "timed_out": True}
        try:
            return receive.recv()
        except EOFError:
            process.join()
            return {"error": f"the process died (exit status {process.exitcode}; killed, e.g. out of memory)"}
    except BaseException:  # Ctrl-C, SIGTERM: no process outlives the check
        process.kill()
        raise
    finally:
        process.join()


def _send_result(conn, fn, *args):
    try:
        result = fn(*args)
    except Exception as e:  # noqa: BLE001  reported in the table, the other steps go on
        result = {"error": f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:300]}"}
    conn.send(result)
    conn.close()


def _device_facts(gpu) -> dict:
    from common.system.quiet_tf import import_tensorflow

    tf = import_tensorflow()
    build = tf.sysconfig.get_build_info()
    facts = {"tensorflow": tf.__version__, "cuda": build.get("cuda_version"), "cudnn": build.get("cudnn_version"),
             "cpu": _cpu_name(), "cpu_cores": os.cpu_count(), "python": platform.python_version()}
    if not gpu:
        return {**facts, "name": f"CPU: {facts['cpu']}", "kind": "CPU"}
    details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
    facts.update(kind="GPU", name=details.get("device_name", "GPU"), gpus=len(tf.config.list_physical_devices("GPU")),
                 compute_capability=".".join(map(str, details.get("compute_capability", ()))))
    try:  # total memory and the driver, when nvidia-smi is there
        smi = subprocess.run(["nvidia-smi", "--query-gpu=memory.total,driver_version", "--format=csv,noheader",
                              "-i", os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0]],
                             capture_output=True, text=True, timeout=30).stdout.strip().split(", ")
        facts.update(memory=smi[0], driver=smi[1])
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    return facts


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def _run_tests(expression, log) -> list[dict]:
    """The `gpu` tests in a pytest process (its output in `log`): per test its outcome, seconds, message if any, and
    its figures."""
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp, open(log, "w") as out:
        xml, figures = os.path.join(tmp, "tests.xml"), os.path.join(tmp, "figures.jsonl")
        subprocess.run([sys.executable, "-m", "pytest", "-m", "gpu", "-p", "no:randomly", "-p", "no:cacheprovider",
                        f"--junitxml={xml}", f"--basetemp={os.path.join(tmp, 'tmp')}",
                        *(["-k", expression] if expression else [])],
                       cwd=ROOT, env={**os.environ, FIGURES_ENV: figures}, stdout=out, stderr=subprocess.STDOUT)
        if not os.path.exists(xml):
            return [{"name": "pytest", "outcome": "error", "seconds": 0, "figures": [],
                     "message": f"pytest wrote no results ({log})"}]
        recorded = {}
        if os.path.exists(figures):
            with open(figures) as f:
                for line in f:
                    entry = json.loads(line)
                    recorded.setdefault(entry.pop("test"), []).append(entry)
        tests = []
        for case in ElementTree.parse(xml).iter("testcase"):
            problem = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
            tests.append({"name": case.get("name"), "seconds": round(float(case.get("time", 0)), 1),
                          "outcome": "passed" if problem is None else {"failure": "failed"}.get(problem.tag,
                                                                                                 problem.tag),
                          **({"message": (problem.get("message") or "").split("\n")[0][:300]} if problem is not None
                             else {}),
                          "figures": recorded.get(case.get("name"), [])})
        return tests


def _time_variant(name, mode, form, batch, iterations, small, gpu) -> dict:
    """Windows/s of one configuration, mode and kernel form on the device, the fp32 matmul rate in the same process,
    the peak memory."""
    from common.system.quiet_tf import import_tensorflow

    tf = import_tensorflow()
    from scripts.bench.lib import iteration_flops, matmul_rate, timed_step

    device = "/gpu:0" if gpu else "/cpu:0"
    tr, batch, step = timed_step(name, mode, form, batch, device, small)
    with tf.device(device):
        rate, seconds = matmul_rate(1024 if small else 4096, [step], iterations)
    peak = (tf.config.experimental.get_memory_info("GPU:0")["peak"] if gpu
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    flops = iteration_flops(tr.cfg, batch)
    return {"batch": batch, "seconds_per_iteration": seconds, "windows_per_second": 2 * batch / seconds,
            "flops_per_iteration": flops, "matmul_flops_per_second": rate, "share_of_matmul": flops / seconds / rate,
            "peak_memory_bytes": int(peak), "memory_kind": "GPU allocator peak" if gpu else "process peak RSS"}


if __name__ == "__main__":
    sys.exit(main())
