"""Shared by the benchmark scripts: FLOP counts of the reference networks and timings taken in the
same run as the machine's fp32 matmul rate, so that ratios between them are meaningful."""
import time

import tensorflow as tf


def conv_flops(cfg):
    """(G, D) FLOPs per window of the strided convs and transposed convs."""
    def encoder(depths, cin):
        flops, length = 0, cfg.canvas_size
        for c in depths:
            length //= 2
            flops += 2 * cfg.kwidth * cin * c * length
            cin = c
        return flops, length

    enc, length = encoder(cfg.g_enc_depths, 1)
    dec, cin = 0, 2 * cfg.g_enc_depths[-1]
    skips = cfg.g_enc_depths[:-1][::-1] + (0,)
    for c, skip in zip(cfg.g_dec_depths, skips):
        dec += 2 * cfg.kwidth * cin * c * length
        length, cin = 2 * length, c + skip
    return enc + dec, encoder(cfg.d_num_fmaps, 2)[0]


def iteration_flops(cfg, batch, adversarial=True):
    """FLOPs of one training iteration (a D step and a G step, each on `batch` windows; module
    docstring of scripts/bench/train.py); not `adversarial` (--adv_weight 0): the G step on L1 alone."""
    g, d = conv_flops(cfg)
    n = cfg.stages
    if not adversarial:
        return batch * 3 * n * g
    return batch * ((n * g + 3 * (n + 2) * d) + (3 * n * g + 3 * (n + 1) * d))


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


def matmul_rate(size, fns, repeats):
    """(fp32 matmul FLOP/s, best seconds of each of `fns`), all timed interleaved in one run."""
    a = tf.random.normal([size, size])
    matmul = tf.function(lambda: tf.matmul(a, a))
    t_mm, *times = best_times([lambda: matmul().numpy(), *fns], repeats)
    return 2 * size ** 3 / t_mm, *times
