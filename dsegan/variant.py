"""DSEGAN: cfg.stages independent generators; cfg.att_generators (default all) selects which
of them carry self-attention and spectral norm when cfg.self_attention is on."""
from common.models.generator import Generator
from dsegan.spec import generator_has_attention


def build_generators(cfg, kernels="native"):
    return [Generator(cfg, attention=generator_has_attention(cfg, n), kernels=kernels, name=f"generator_{n}")
            for n in range(cfg.stages)]
