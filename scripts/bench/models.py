"""Forward throughput of the generator and the discriminator against this machine's fp32
matmul rate, all measured in the same run.

    python scripts/bench/models.py [--config SEGAN] [--batch 8] [--repeats 5]

Prints the matmul rate (large tf.matmul), then for G and D: windows/s, the GFLOP/s that
implies (conv/deconv multiply-adds only, 2 FLOP each: 4.32 GFLOP per 16384-sample window for
G, 1.45 for D) and that figure as a share of the matmul rate. Every timing is the best of
`--repeats` runs of a tf.function.
"""
import sys

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config.named_configs import named_config
from common.models.build import build_models
from scripts.bench.lib import conv_flops, matmul_rate, model_bench_parser


def main(argv=None) -> int:
    args = model_bench_parser(__doc__, batch=8).parse_args(argv)

    cfg = named_config(args.config)
    chain, disc = build_models(cfg, kernels="tuned")
    gen = chain.stage_generator(0)
    noisy = tf.random.normal([args.batch, cfg.canvas_size, 1])
    clean = tf.random.normal([args.batch, cfg.canvas_size, 1])
    stats = disc.reference(clean, noisy)
    g_fwd = tf.function(lambda: gen(noisy))
    d_fwd = tf.function(lambda: disc(clean, noisy, stats))
    rate, t_g, t_d = matmul_rate(args.matmul_size, [lambda: g_fwd().numpy(), lambda: d_fwd().numpy()],
                                 args.repeats)
    print(f"fp32 matmul ({args.matmul_size}^3): {rate / 1e9:.1f} GFLOP/s")
    for name, seconds, flops in zip("GD", (t_g, t_d), conv_flops(cfg)):
        per_s = args.batch / seconds
        achieved = per_s * flops
        print(f"{name} forward ({args.config}, batch {args.batch}): {per_s:.2f} windows/s, "
              f"{flops / 1e9:.2f} GFLOP/window -> {achieved / 1e9:.1f} GFLOP/s = "
              f"{100 * achieved / rate:.1f} % of matmul")
    return 0


if __name__ == "__main__":
    sys.exit(main())
