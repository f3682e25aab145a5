"""Importing upstream TF1 checkpoints: a fixture written with tf.compat.v1 under the upstream variable
names and shapes (restated here from the upstream code, independently of common/models/tf1_import.py)."""
import json

import numpy as np
import pytest
import tensorflow as tf

from common.config.model_config import ModelConfig
from common.config.named_configs import tiny
from common.models import tf1_import
from common.rundir import checkpoint_files, flags_file, run_record
from common.rundir.trained_chain import load_chain
from common.training.trainer import Trainer
from scripts import import_tf1_checkpoint

# name: (configuration, importer flags beyond --ckpt/--out; the rest is detected)
CASES = {"SASEGAN": (tiny("SASEGAN"), []),
         "ISEGAN-SA-2": (tiny("ISEGAN-SA-2"), ["--variant", "isegan", "--iterations", "2"]),
         "DSEGAN-2": (tiny("DSEGAN-2", att_layer_ind=(5,)), [])}  # no attention: the flag's default


def upstream_arrays(cfg, seed=0):
    """{name: array} as the upstream graph names and shapes its variables (K/P/S model.py, generator.py,
    discriminator.py, ops.py, selfattention.py, bnorm.py), with an RMSProp and momentum slot per
    trainable variable."""
    rng = np.random.default_rng(seed)
    k, last, out = cfg.kwidth, cfg.num_layers - 1, {}
    trainable = []

    def var(name, shape, train=True):
        out[name] = rng.normal(size=shape).astype(np.float32)
        if train:
            trainable.append(name)

    def conv(scope, shape, bias, sn):
        var(f"{scope}/W", shape)
        if bias:
            var(f"{scope}/b", [shape[2] if scope.split("/")[-1].startswith("dec") else shape[3]])
        if sn:
            var(f"{scope}/u", [1, shape[-1]], train=False)

    def attention(scope, c):
        for name, cin, cout in (("theta", c, c // 8), ("phi", c, c // 8), ("g", c, c // 2),
                                ("attn", c // 2, c)):
            var(f"{scope}/sn_conv_{name}/w", [1, 1, cin, cout])
            var(f"{scope}/sn_conv_{name}/u", [1, cout], train=False)
        var(f"{scope}/sigma_ratio", [])

    enc, dec = cfg.g_enc_depths, cfg.g_dec_depths
    gens = [""] if cfg.variant != "dsegan" else [f"{n}_" for n in range(cfg.stages)]
    for g in gens:
        cin = 1
        for i, c in enumerate(enc):
            conv(f"g_ae/enc_{g}{i}", [k, 1, cin, c], cfg.bias_downconv, cfg.self_attention)
            var(f"g_ae/enc_prelu_{g}{i}/alpha", [c])
            if cfg.self_attention and i in cfg.att_layer_ind:
                attention(f"g_ae/encoder_attention_layer{i}", c)
            cin = c
        cin *= 2
        for j, c in enumerate(dec):
            conv(f"g_ae/dec_{g}{j}", [k, 1, c, cin], cfg.bias_deconv, cfg.self_attention)
            if j < last:
                var(f"g_ae/dec_prelu_{g}{j}/alpha", [c])
                cin = c + enc[last - 1 - j]
                if cfg.self_attention and j in cfg.dec_att_layer_ind:
                    attention(f"g_ae/decoder_attention_layer{j}", cin)
        var(f"g_ae/z{g[:-1]}/z", list(cfg.z_shape(2)), train=False)
    cin = 2
    for i, c in enumerate(cfg.d_num_fmaps):
        conv(f"d_model/d_block_{i}/downconv", [k, 1, cin, c], cfg.bias_D_conv, cfg.d_attention)
        var(f"d_model/d_block_{i}/d_vbn_{i}/gamma", [c])
        var(f"d_model/d_block_{i}/d_vbn_{i}/beta", [c])
        if cfg.d_attention and i in cfg.att_layer_ind:
            attention(f"d_model/discriminator_attention_layer{i}", c)
        cin = c
    var("d_model/logits_conv/W", [1, cin, 1])
    var("d_model/fully_connected/weights", [cfg.canvas_size // 2 ** len(cfg.d_num_fmaps), 1])
    var("d_model/fully_connected/biases", [1])
    for name in trainable:
        out[name + "/RMSProp"] = rng.uniform(0.5, 1.5, out[name].shape).astype(np.float32)
        out[name + "/RMSProp_1"] = np.zeros_like(out[name])
    out.update(Variable=np.float32(0.5), Variable_1=np.float32(0.25), Variable_2=np.float32(100.0))
    return out


def write_tf1_checkpoint(prefix, arrays):
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tf.Graph().as_default():
        variables = [tf.compat.v1.get_variable(n, initializer=tf.constant(v)) for n, v in arrays.items()]
        saver = tf.compat.v1.train.Saver(variables)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            return saver.save(sess, str(prefix))


def run_import(tmp_path, arrays, flags, name="SEGAN-400"):
    ckpt = write_tf1_checkpoint(tmp_path / "tf1" / name, arrays)
    out = tmp_path / "run"
    return import_tf1_checkpoint.main(["--ckpt", ckpt, "--out", str(out), *flags]), out


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """{case: (cfg, upstream arrays, run dir)} imported with the CLI, the upstream run on 2 towers."""
    done = {}
    for name, (cfg, flags) in CASES.items():
        tmp = tmp_path_factory.mktemp(name)
        arrays = upstream_arrays(cfg)
        rc, run = run_import(tmp, arrays, flags + ["--towers", "2"])
        assert rc == 0
        done[name] = (cfg, arrays, run)
    return done


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_detects_the_model_and_fills_every_variable(imported, name):
    cfg, arrays, run = imported[name]
    saved = json.load(open(run / "flags.json"))["model"]
    assert {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()} == \
        {k: getattr(cfg, k) for k in saved}
    trained = load_chain(str(run))                    # what test mode does
    chain, path = trained.chain, trained.path
    assert trained.cfg == cfg
    assert path.endswith("ckpt-200")                  # SEGAN-400 on 2 towers = 200 iterations
    gens = chain.generators

    def ours(g, layer, leaf="kernel"):
        return next(v.numpy() for v in g.variables if v.path.endswith(f"/{layer}/{leaf}"))

    for n, g in enumerate(gens):
        pre = "" if len(gens) == 1 else f"{n}_"
        for i in range(cfg.num_layers):                # kernel layouts after the change
            np.testing.assert_array_equal(ours(g, f"enc_{i}"), arrays[f"g_ae/enc_{pre}{i}/W"][:, 0])
            np.testing.assert_array_equal(ours(g, f"dec_{i}"), arrays[f"g_ae/dec_{pre}{i}/W"][:, 0])
            np.testing.assert_array_equal(ours(g, f"enc_prelu_{i}", "alpha"),
                                          arrays[f"g_ae/enc_prelu_{pre}{i}/alpha"])
        for scope in g.enc_att.values():
            up = f"g_ae/{scope.name}/sn_conv_g"
            np.testing.assert_array_equal(ours(g, f"{scope.name}/sn_conv_g"), arrays[f"{up}/w"][0])
            np.testing.assert_array_equal(ours(g, f"{scope.name}/sn_conv_g/sn", "u"), arrays[f"{up}/u"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_resumed_training_gets_the_upstream_state(imported, name):
    cfg, arrays, run = imported[name]
    saved = flags_file.load_flags(str(run))
    tr = Trainer(run_record.model_config(saved), run_record.train_config(saved), tf.distribute.get_strategy())
    tr.checkpoint.restore(checkpoint_files.resolve(str(run))).assert_existing_objects_matched()
    assert int(tr.iteration.numpy()) == 200
    exported = tf1_import.export_values(tr, slots=True)  # every variable and slot, back in upstream form
    assert set(exported) == {n for n in arrays if not n.startswith("g_ae/z") and n != "Variable"
                             and not n.endswith("/RMSProp_1")}
    for n, value in exported.items():
        np.testing.assert_array_equal(value, arrays[n], err_msg=n)
    pre = f"{cfg.stages - 1}_" if cfg.variant == "dsegan" else ""
    for opt, var, name in ((tr.d_opt, tr.disc.convs[1].kernel, "d_model/d_block_1/downconv/W"),
                           (tr.g_opt, tr.chain.generators[-1].dec[0].bias, f"g_ae/dec_{pre}0/b")):
        ms = opt.ms_slot(var)   # RMSProp mean-square slots: training continues exactly
        np.testing.assert_array_equal(ms.numpy(), tf1_import.from_upstream(var.path, arrays[name + "/RMSProp"]))
    assert float(tr.disc.noise_std.numpy()) == 0.25 and float(tr.l1_lambda.numpy()) == 100.0
    d = tr.disc
    np.testing.assert_array_equal(d.fc.kernel.numpy(), arrays["d_model/fully_connected/weights"])
    np.testing.assert_array_equal(d.fc.bias.numpy(), arrays["d_model/fully_connected/biases"])
    np.testing.assert_array_equal(d.head.kernel.numpy(), arrays["d_model/logits_conv/W"])
    np.testing.assert_array_equal(d.vbns[3].gamma.numpy(), arrays["d_model/d_block_3/d_vbn_3/gamma"])
    np.testing.assert_array_equal(d.convs[2].kernel.numpy(), arrays["d_model/d_block_2/downconv/W"][:, 0])
    for k, block in d.att.items():
        np.testing.assert_array_equal(block.phi.sn.u.numpy(),
                                      arrays[f"d_model/discriminator_attention_layer{k}/sn_conv_phi/u"])


def test_layouts_compute_the_upstream_convolutions(imported):
    """Our imported layers equal TF1's 2-D ops on [B, T, 1, C] with the upstream kernels."""
    cfg, arrays, run = imported["DSEGAN-2"]           # no spectral norm: the kernels act as stored
    g = load_chain(str(run)).chain.generators[1]
    x = tf.random.normal([2, 64, cfg.g_enc_depths[0]])
    up = tf.nn.conv2d(x[:, :, None], arrays["g_ae/enc_1_1/W"], [1, 2, 1, 1], "SAME")[:, :, 0]
    np.testing.assert_allclose(g.enc[1](x), up + arrays["g_ae/enc_1_1/b"], rtol=1e-5, atol=1e-4)
    h = tf.random.normal([2, 16, 2 * cfg.g_enc_depths[-1]])
    w = arrays["g_ae/dec_1_0/W"]
    up = tf.nn.conv2d_transpose(h[:, :, None], w, [2, 32, 1, w.shape[2]], [1, 2, 1, 1], "SAME")[:, :, 0]
    np.testing.assert_allclose(g.dec[0](h), up + arrays["g_ae/dec_1_0/b"], rtol=1e-5, atol=1e-4)


SEGAN = tiny("SEGAN", att_layer_ind=(5,))


@pytest.fixture(scope="module")
def segan_arrays():
    return upstream_arrays(SEGAN)


def import_error(tmp_path, capsys, arrays, *flags):
    rc, run = run_import(tmp_path, arrays, ["--variant", "segan", *flags])
    assert rc == 1 and not (run / "checkpoints").exists()
    return capsys.readouterr().err


def test_unmapped_variables_are_named(tmp_path, capsys, segan_arrays):
    err = import_error(tmp_path, capsys, {**segan_arrays, "g_ae/enc_9/W": np.zeros([31, 1, 4, 4], np.float32)})
    assert "map to no model variable (1)" in err and "g_ae/enc_9/W [31, 1, 4, 4]" in err


def test_missing_variables_are_named_and_allow_partial_imports_the_rest(tmp_path, capsys, segan_arrays):
    generator_only = {n: v for n, v in segan_arrays.items() if not n.startswith("d_model/")}
    d_flags = ["--d_num_fmaps", "8,8,16,16,32"]     # nothing to read them from
    err = import_error(tmp_path, capsys, generator_only, *d_flags)
    assert "discriminator/fully_connected/bias (upstream name d_model/fully_connected/biases)" in err
    assert "discriminator/d_vbn_0/gamma" in err and "chain/" not in err
    rc, run = run_import(tmp_path / "partial", generator_only, ["--variant", "segan", "--allow_partial", *d_flags])
    assert rc == 0 and "warning: model variables without a value" in capsys.readouterr().err
    g = load_chain(str(run)).chain.generators[0]
    np.testing.assert_array_equal(g.dec[4].kernel.numpy(), segan_arrays["g_ae/dec_4/W"][:, 0])


def test_mis_shaped_variables_name_both_sides(tmp_path, capsys, segan_arrays):
    bad = {**segan_arrays, "g_ae/enc_2/W": np.zeros([31, 1, 8, 32], np.float32)}
    err = import_error(tmp_path, capsys, bad, "--g_enc_depths", "8,8,16,16,32")  # flags win over detection
    assert ("g_ae/enc_2/W [31, 1, 8, 32] in the checkpoint vs chain/generator/enc_2/kernel (31, 8, 16) "
            "of the model (needs [31, 1, 8, 16])") in err


def test_flags_that_contradict_the_checkpoint_fail(tmp_path, capsys, segan_arrays):
    err = import_error(tmp_path, capsys, segan_arrays, "--self_attention", "--att_layer_ind", "2")
    assert "model variables without a value" in err and "encoder_attention_layer2/sn_conv_theta/w" in err


def test_segan_and_isegan_need_the_variant(tmp_path, capsys, segan_arrays):
    ckpt = write_tf1_checkpoint(tmp_path / "SEGAN-50", segan_arrays)
    with pytest.raises(SystemExit):
        import_tf1_checkpoint.main(["--ckpt", ckpt, "--out", str(tmp_path / "run")])
    assert "SEGAN and ISEGAN-N have the same variables" in capsys.readouterr().err
    assert tf1_import.detect_model({n: v.shape for n, v in upstream_arrays(tiny("DSEGAN-3")).items()})[0] \
        == "dsegan"


def test_a_variant_that_contradicts_the_variable_names_fails(tmp_path, capsys, segan_arrays):
    """DSEGAN's names say DSEGAN; SEGAN's say not DSEGAN; a SASEGAN checkpoint (D attention) may be ISEGAN's."""
    dsegan = write_tf1_checkpoint(tmp_path / "d" / "SEGAN-50", upstream_arrays(tiny("DSEGAN-2", att_layer_ind=(5,))))
    segan = write_tf1_checkpoint(tmp_path / "s" / "SEGAN-50", segan_arrays)
    for ckpt, variant, holds in ((dsegan, "isegan", "dsegan"), (segan, "dsegan", "one-generator (segan or isegan)")):
        with pytest.raises(SystemExit):
            import_tf1_checkpoint.main(["--ckpt", ckpt, "--out", str(tmp_path / "run"), "--variant", variant])
        assert f"holds a {holds} model (variable names), not {variant}" in capsys.readouterr().err
    sasegan = write_tf1_checkpoint(tmp_path / "sa" / "SEGAN-50", upstream_arrays(tiny("SASEGAN")))
    assert import_tf1_checkpoint.main(["--ckpt", sasegan, "--out", str(tmp_path / "run"), "--variant", "isegan",
                                       "--iterations", "1"]) == 0


def test_dsegan_sa_names_are_distinct_and_detected():
    """DSEGAN-SA never ran upstream; our naming must still round-trip through detection."""
    from common.models.build import build_models

    cfg = tiny("DSEGAN-SA-3", att_generators=(0, 2))
    chain, disc = build_models(cfg)
    names = {tf1_import.upstream_name(v.path, cfg.variant): tf1_import.upstream_shape(v.path, v.shape)
             for v in chain.variables + disc.variables}
    assert len(names) == len(chain.variables) + len(disc.variables)
    assert "g_ae/encoder_attention_layer_2_2/sn_conv_theta/w" in names
    variant, fields = tf1_import.detect_model(names)
    assert variant == "dsegan" and fields["stages"] == 3 and fields["att_generators"] == (0, 2)
    assert fields["att_layer_ind"] == (2,) and fields["canvas_size"] == 512
    assert ModelConfig(variant=variant, **fields) == cfg
