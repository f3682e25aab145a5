#!/usr/bin/env python3
"""Kernel gradients of the convs that run in the tf.nn form, against this machine's fp32 matmul rate,
all measured in the same run: TensorFlow's filter-gradient op (Conv2DBackpropFilter, what automatic
differentiation of tf.nn.conv1d gives) beside common.conv.kernel_gradient (the same sum as a dilated
forward conv, what the models use).

    python scripts/bench/conv_gradient.py [--config SEGAN] [--batch 4] [--repeats 5]

One line per layer of G and D whose output is longer than MATMUL_MAX_LENGTH (the shorter ones run as
matmuls), then the totals. --batch is the windows per call (the D step stacks N + 2 batches).
"""
import sys

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise
from common.config.named_configs import named_config
from common.nn.conv_kernels import MATMUL_MAX_LENGTH, kernel_gradient
from scripts.bench.lib import conv_layers, matmul_rate, model_bench_parser

tf.get_logger().setLevel("ERROR")  # two tf.functions per layer: TF's retracing warning is expected here


def main(argv=None) -> int:
    args = model_bench_parser(__doc__, batch=4).parse_args(argv)

    cfg = named_config(args.config)
    k, rows, fns = cfg.kwidth, [], []
    for network, name, transposed, long, wide, narrow in conv_layers(cfg):
        if (long if transposed else long // 2) <= MATMUL_MAX_LENGTH:
            continue
        inputs = tf.random.normal([args.batch, long, wide])
        out_grad = tf.random.normal([args.batch, long // 2, narrow])
        tf_op = tf.function(lambda x=inputs, dy=out_grad, a=wide, b=narrow: tf.compat.v1.nn.conv2d_backprop_filter(
            x[:, None], [1, k, a, b], dy[:, None], [1, 1, 2, 1], "SAME"))
        ours = tf.function(lambda x=inputs, dy=out_grad: kernel_gradient(x, dy, k, 2))
        fns += [lambda f=tf_op: f().numpy(), lambda f=ours: f().numpy()]
        rows.append((f"{network} {name}", 2 * args.batch * (long // 2) * k * wide * narrow))
    rate, *seconds = matmul_rate(args.matmul_size, fns, args.repeats)
    print(f"fp32 matmul rate: {rate / 1e9:.1f} GFLOP/s; {args.config} kernel gradients at batch {args.batch}")

    def line(label, flops, t_tf, t_ours):
        return (f"{label:12s} {flops / 1e9:6.2f} GFLOP  Conv2DBackpropFilter {1e3 * t_tf:7.1f} ms = "
                f"{100 * flops / t_tf / rate:5.1f} %   kernel_gradient {1e3 * t_ours:7.1f} ms = "
                f"{100 * flops / t_ours / rate:5.1f} %")

    pairs = list(zip(seconds[::2], seconds[1::2]))
    for (label, flops), (t_tf, t_ours) in zip(rows, pairs):
        print(line(label, flops, t_tf, t_ours))
    t_tf, t_ours = (sum(t) for t in zip(*pairs))
    print(line("all", sum(f for _, f in rows), t_tf, t_ours) + f"   ({t_tf / t_ours:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
