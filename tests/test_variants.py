"""SEGAN / ISEGAN / DSEGAN chains from build_models: full-size shapes per stage, shared vs
disjoint variables, stage wiring, attention selection, checkpoint contents."""
import gc
import importlib
import os

import numpy as np
import pytest
import tensorflow as tf

from common.config import cli, variants
from common.config.named_configs import named_config, tiny
from common.models.build import build_models
from common.models.chain import GeneratorChain
from dsegan.spec import generator_has_attention

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_variant_folder(name: str, root: str = ROOT) -> None:
    """A variant is its folder under `root` and its entry: the entry's spec and generators modules hold what
    common/ looks up, its main.py runs common.main.main(name), and its stage flag is the flag of `stages`."""
    entry = variants.get(name)
    spec, generators = (importlib.import_module(m) for m in (entry.spec, entry.generators))
    assert all(callable(getattr(spec, f, None)) for f in ("add_flags", "model_fields", "check"))
    assert isinstance(spec.OWN_FIELDS, tuple) and callable(generators.build_generators)
    with open(os.path.join(root, name, "main.py")) as f:
        assert f'main("{name}")' in f.read()
    if entry.stage_flag:
        assert cli.parse(name, [entry.stage_flag, "3"]).model.stages == 3
    else:
        assert cli.parse(name, []).model.stages == 1
        with pytest.raises(SystemExit):
            cli.parse(name, ["--stages", "3"])


@pytest.mark.parametrize("name", variants.SHIPPED)
def test_each_shipped_variant_is_its_folder_and_its_entry(name, capsys):
    assert_variant_folder(name)


def n_params(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


def wave(cfg, batch, rng):
    return rng.uniform(-1, 1, (batch, cfg.canvas_size, 1)).astype(np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["SASEGAN", "ISEGAN-SA-2", "DSEGAN-SA-2"])
def test_full_size_shapes_per_stage(name, rng):
    cfg = named_config(name)
    chain, disc = build_models(cfg)
    noisy, clean = wave(cfg, 2, rng), wave(cfg, 2, rng)
    stages = chain(noisy)
    assert len(stages) == cfg.stages
    assert all(s.shape == (2, 16384, 1) for s in stages)
    assert all(np.abs(s.numpy()).max() <= 1.0 for s in stages)                # tanh output
    stats = disc.reference(clean, noisy)
    assert disc(stages[-1], noisy, stats).shape == (2, 1)
    assert cfg.z_shape(2) == (2, 8, 1024)
    del chain, disc
    gc.collect()


@pytest.mark.parametrize("variant,stages,generators", [("segan", 1, 1), ("isegan", 3, 1),
                                                       ("dsegan", 3, 3)])
def test_build_models_dispatch(variant, stages, generators, rng):
    chain, disc = build_models(tiny(variant=variant, stages=stages))
    assert isinstance(chain, GeneratorChain) and chain.stages == stages
    assert len({id(chain.stage_generator(n)) for n in range(stages)}) == generators
    assert len(chain(wave(chain.stage_generator(0).cfg, 2, rng))) == stages


def test_isegan_shares_one_generator(rng):
    counts = set()
    for stages in (1, 2, 4):
        chain, _ = build_models(tiny(variant="isegan", stages=stages, self_attention=True))
        counts.add((len(chain.variables), n_params(chain.trainable_variables)))
        assert all(chain.stage_generator(n) is chain.stage_generator(0) for n in range(stages))
    assert len(counts) == 1
    chain, _ = build_models(tiny(variant="isegan", stages=3))
    cfg = chain.stage_generator(0).cfg
    x = wave(cfg, 2, rng)
    with tf.GradientTape(persistent=True) as tape:
        stages = chain(x)
    for s in stages:                                 # every stage reaches every shared variable
        grads = tape.gradient(s, chain.trainable_variables)
        assert all(g is not None for g in grads)


def test_dsegan_has_disjoint_generators():
    chain, _ = build_models(tiny(variant="dsegan", stages=3))
    single, _ = build_models(tiny())
    ids = [{id(v) for v in chain.stage_generator(n).variables} for n in range(3)]
    assert all(not (ids[a] & ids[b]) for a in range(3) for b in range(a + 1, 3))
    assert n_params(chain.trainable_variables) == 3 * n_params(single.trainable_variables)
    paths = [v.path for v in chain.variables]
    assert len(set(paths)) == len(paths)                            # distinct checkpoint keys
    kernels = [chain.stage_generator(n).enc[0].kernel.numpy() for n in range(3)]
    assert not np.array_equal(kernels[0], kernels[1]) and not np.array_equal(kernels[1], kernels[2])  # own init


def test_stage_wiring_and_no_stop_gradient(rng):
    """Stage n = generator n applied to stage n-1 (stage 0 to the noisy input) with its z;
    the last stage's output depends on the first generator's weights."""
    cfg = tiny(variant="dsegan", stages=3)
    chain, _ = build_models(cfg)
    x = wave(cfg, 2, rng)
    zs = [rng.standard_normal(cfg.z_shape(2)).astype(np.float32) for _ in range(3)]
    with tf.GradientTape() as tape:
        stages = chain(x, zs=zs)
        last = tf.reduce_sum(stages[-1])
    previous = x
    for n, s in enumerate(stages):
        np.testing.assert_allclose(s, chain.stage_generator(n)(previous, z=zs[n]), atol=1e-6)
        previous = s
    grads = tape.gradient(last, chain.stage_generator(0).trainable_variables)
    assert all(g is not None and np.abs(g.numpy()).max() > 0 for g in grads)


def test_dsegan_att_generators_selects_attention():
    cfg = tiny(variant="dsegan", stages=3, self_attention=True, att_generators=(1,))
    chain, _ = build_models(cfg)
    has = [bool(chain.stage_generator(n).non_trainable_variables) and bool(chain.stage_generator(n).enc_att)
           for n in range(3)]
    assert has == [False, True, False]
    default, _ = build_models(tiny("DSEGAN-SA-3"))
    assert all(default.stage_generator(n).enc_att for n in range(3))


def test_chain_rejects_bad_generator_counts(rng):
    chain, _ = build_models(tiny(variant="dsegan", stages=2))
    with pytest.raises(ValueError, match="2 generators for 3 stages"):
        GeneratorChain(chain.generators, stages=3)
    with pytest.raises(ValueError, match="1 z tensors for 2 stages"):
        chain(wave(chain.stage_generator(0).cfg, 1, rng), zs=[None])


def test_checkpoint_holds_all_state(tmp_path):
    chain, disc = build_models(tiny("SASEGAN"))
    path = tf.train.Checkpoint(g=chain, d=disc).save(str(tmp_path / "ckpt"))
    saved = {name for name, _ in tf.train.list_variables(path)
             if name.endswith(".ATTRIBUTES/VARIABLE_VALUE") and name.startswith(("g/", "d/"))}
    assert len(saved) == len(chain.variables) + len(disc.variables)
    assert any("noise_std" in n for n in saved) and sum("/u/" in n for n in saved) > 0
    chain2, disc2 = build_models(tiny("SASEGAN"))
    tf.train.Checkpoint(g=chain2, d=disc2).restore(path).assert_consumed()
    for a, b in zip(chain.variables + disc.variables, chain2.variables + disc2.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_attention_generators():
    cfg = named_config("DSEGAN-SA-3", att_generators=(1,))
    assert [generator_has_attention(cfg, n) for n in range(3)] == [False, True, False]
    assert all(generator_has_attention(named_config("DSEGAN-SA-3"), n) for n in range(3))
    assert not generator_has_attention(named_config("DSEGAN-3"), 0)
