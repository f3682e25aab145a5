"""Shared by the benchmark scripts: FLOP counts of the reference networks, timings taken in the
same run as the machine's fp32 matmul rate, so that ratios between them are meaningful, and the training step of
a named configuration in each speed mode."""
import argparse
import math
import time

import tensorflow as tf

from common.config.command import configure
from common.config.named_configs import named_config, paper_windows, tiny
from common.config.recipes import RECIPES
from common.training.trainer import Trainer

# windows through the training step in a paper run: 48,700 iterations x 2 batches x 100 windows, or SASEGAN's
# 97,400 x 2 x 50 (docs/design.md, Appendix B)
PAPER_RUN_WINDOWS = 48_700 * 2 * 100


# speed modes: their TrainConfig fields. fp32 turns TF32 off (true float32 convs and matmuls); every other mode
# leaves TensorFlow's default, which runs them as TF32 on GPUs that have it (Ampere and newer; none on a CPU).
MODES = {"fp32": {}, "tf32": {}, "xla": {"xla": True},
         **{p: {"mixed_precision": p} for p in ("bfloat16", "float16")},
         **{f"xla+{p}": {"xla": True, "mixed_precision": p} for p in ("bfloat16", "float16")}}


def timed_step(name, mode, form, batch=None, device="/cpu:0", small=False, recipe="paper"):
    """(trainer, windows per batch, step): one training iteration of a named configuration (`small`: its tiny
    version, tests' size) under a recipe (common/config/recipes.py) in a speed mode with a kernel form, on one
    device, each call on the same in-memory batch (default: the recipe's batch, else the batch rule's windows).
    The trainer's models are built with the form; TF32 is set at each call: several steps can be timed
    interleaved."""
    batch = batch or RECIPES[recipe].get("batch_size") or paper_windows(named_config(name))
    command = configure(named_config(name), recipe, **MODES[mode], batch_size=batch, kernels=form)
    cfg = tiny(name) if small else command.model
    tr = Trainer(cfg, command.training, tf.distribute.MirroredStrategy([device]))
    windows = tf.random.normal([batch, cfg.canvas_size, 1]) * 0.1
    iterator = iter(tr.strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors((windows, windows + 0.01)).repeat()))

    def step():
        tf.config.experimental.enable_tensor_float_32_execution(mode != "fp32")
        return {k: v.numpy() for k, v in tr.step(iterator).items()}

    return tr, batch, step


def conv_layers(cfg):
    """Every strided conv and transposed conv of the generator ("G") and the discriminator ("D") at
    full length, as (network, layer name, transposed, long, wide, narrow): the layer maps `long` steps
    of `wide` channels and long / 2 steps of `narrow` channels into each other (a conv from the long
    side, a transposed conv from the short side), so its kernel has kwidth x wide x narrow weights."""
    layers = []

    def encoder(network, depths, cin):
        length = cfg.canvas_size
        for i, c in enumerate(depths):
            layers.append((network, f"enc_{i}" if network == "G" else f"d_block_{i}", False, length, cin, c))
            length, cin = length // 2, c
        return length

    length, cin = encoder("G", cfg.g_enc_depths, 1), 2 * cfg.g_enc_depths[-1]
    skips = cfg.g_enc_depths[:-1][::-1] + (0,)
    for j, (c, skip) in enumerate(zip(cfg.g_dec_depths, skips)):
        layers.append(("G", f"dec_{j}", True, 2 * length, c, cin))
        length, cin = 2 * length, c + skip
    encoder("D", cfg.d_num_fmaps, 2)
    return layers


def conv_flops(cfg):
    """(G, D) FLOPs per window of the strided convs and transposed convs."""
    flops = {"G": 0, "D": 0}
    for network, _, _, long, wide, narrow in conv_layers(cfg):
        flops[network] += 2 * cfg.kwidth * wide * narrow * (long // 2)
    return flops["G"], flops["D"]


def iteration_flops(cfg, batch, adversarial=True):
    """FLOPs of one training iteration (a D step and a G step, each on `batch` windows; module
    docstring of scripts/bench/train.py); not `adversarial` (--adv_weight 0): the G step on L1 alone."""
    g, d = conv_flops(cfg)
    n = cfg.stages
    if not adversarial:
        return batch * 3 * n * g
    return batch * ((n * g + 3 * (n + 2) * d) + (3 * n * g + 3 * (n + 1) * d))


def counted_iteration_flops(trainer, batch: int) -> int:
    """FLOPs of one training iteration (a D step and a G step on `batch` windows each), counted on the graph
    TensorFlow traces for it: every convolution, transposed convolution and matrix product, forward and
    backward (attention included; element-wise work and the optimizer update are not counted)."""
    spec = tf.TensorSpec([batch, trainer.cfg.canvas_size, 1])

    def iteration(clean, noisy):
        g = trainer.g_gradients(clean, noisy)
        return (trainer.d_gradients(clean, noisy), g) if trainer.adversarial else g

    graph = tf.function(iteration, autograph=False).get_concrete_function(spec, spec).graph
    return sum(op_flops(op) for op in graph.get_operations())


def op_flops(op) -> int:
    """Multiply-adds × 2 of one graph operation of a kind that counts (else 0); shapes are static."""
    if op.type == "Conv2D":  # per output element, a kernel window over the input channels
        return 2 * op.outputs[0].shape.num_elements() * op.inputs[1].shape[:3].num_elements()
    if op.type in ("Conv2DBackpropInput", "Conv2DBackpropFilter"):  # as the forward conv: per its output
        kernel = op.outputs[0] if op.type == "Conv2DBackpropFilter" else op.inputs[1]
        return 2 * op.inputs[2].shape.num_elements() * kernel.shape[:3].num_elements()
    if op.type in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
        a = op.inputs[0].shape
        transposed = op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x")
        return 2 * op.outputs[0].shape.num_elements() * (a[-2] if transposed else a[-1])
    if op.type == "Einsum":  # every index once: the product of their sizes
        operands = op.get_attr("equation").decode().split("->")[0].split(",")
        sizes = {c: n for spec, x in zip(operands, op.inputs) for c, n in zip(spec, x.shape)}
        return 2 * math.prod(sizes.values())
    return 0


def best_times(fns, repeats):
    """Best wall time of each callable; runs are interleaved so that load from other
    processes on a shared machine hits all of them alike."""
    for fn in fns:
        fn()  # trace and warm up
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def matmul_rate(size, fns, repeats, parallel=1):
    """(fp32 matmul FLOP/s with TF32 off, best seconds of each of `fns`), all timed interleaved in one run;
    `parallel` matmuls at once (one per core when each op runs on one core: --cpu_op_threads one)."""
    a = [tf.random.normal([size, size]) for _ in range(parallel)]
    matmul = tf.function(lambda: [tf.matmul(x, x) for x in a])

    def fp32_matmul():  # TF32 off, whatever the timed steps set
        tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
        tf.config.experimental.enable_tensor_float_32_execution(False)
        [m.numpy() for m in matmul()]
        tf.config.experimental.enable_tensor_float_32_execution(tf32)

    t_mm, *times = best_times([fp32_matmul, *fns], repeats)
    return parallel * 2 * size ** 3 / t_mm, *times


def model_bench_parser(doc: str, batch: int) -> argparse.ArgumentParser:
    """The command line of a bench script that times parts of one named configuration's networks."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--config", default="SEGAN", help="named configuration (default SEGAN)")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--matmul_size", type=int, default=4096)
    return parser
