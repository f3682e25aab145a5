"""Builds (GeneratorChain, Discriminator) for a ModelConfig, with every variable created, and
counts their trainable parameters. The layers' kernel forms are chosen here, once per model (`kernels`:
"native", the reference's default, or "tuned"; common/nn/conv_kernels.py resolves --kernels auto)."""
import importlib

import keras
import numpy as np
from keras.src.backend.common import global_state

from common.config import variants
from common.models.chain import GeneratorChain
from common.models.discriminator import Discriminator


# the Keras dtype policy of each --mixed_precision (common/config/train_config.py PRECISIONS)
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def build_models(cfg, precision: str = "float32", kernels: str = "native"):
    """The chain and the discriminator, their layers computing in `precision` (variables float32) with the
    kernel forms `kernels` ("native" or "tuned")."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[precision])  # read by each layer as it is made
    try:
        return _build(cfg, kernels)
    finally:
        keras.config.set_dtype_policy(previous)


def _build(cfg, kernels):
    generators = importlib.import_module(variants.get(cfg.variant).generators).build_generators(cfg, kernels)
    chain = GeneratorChain(generators, cfg.stages, name="chain")  # its entry's generators
    chain.build((None, cfg.canvas_size, 1))
    discriminator = Discriminator(cfg, kernels=kernels, name="discriminator")
    discriminator.build((None, cfg.canvas_size, 1))
    return chain, discriminator


def parameter_counts(cfg):
    """(chain, discriminator) trainable parameter counts of the models as build_models makes
    them, built with deferred variables (shapes only, nothing allocated or initialised)."""
    with keras.StatelessScope(initialize_variables=False):
        models = build_models(cfg)
    counts = tuple(sum(int(np.prod(v.shape)) for v in m.trainable_variables) for m in models)
    # private: Keras has no public way to drop deferred variables, which the next StatelessScope exit allocates
    ours = {id(v) for m in models for v in m.variables}
    pending = global_state.get_global_attribute("uninitialized_variables", [])
    pending[:] = [v for v in pending if id(v) not in ours]
    return counts
