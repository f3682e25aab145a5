"""Upstream TF1 checkpoints (`SEGAN-<step>`) ↔ our models (docs/design.md §3-§7, §13 item 20).

Name mapping (ours → upstream; the importer uses it reversed):
    chain/generator/<layer>/...        → g_ae/<layer>/...                 (SEGAN, ISEGAN: one generator)
    chain/generator_{n}/<layer>/...    → g_ae/<the variant's name for layer of generator n>/...
                                         (DSEGAN: enc_{n}_{i}, …; dsegan/spec.py tf1_layer)
    discriminator/d_block_{i}/...      → d_model/d_block_{i}/downconv/...
    discriminator/d_vbn_{i}/gamma|beta → d_model/d_block_{i}/d_vbn_{i}/gamma|beta
    discriminator/<other>/...          → d_model/<other>/...   (discriminator_attention_layer{k}, logits_conv)
    discriminator/fully_connected/kernel|bias → d_model/fully_connected/weights|biases
    discriminator/noise_std → Variable_1,  l1_lambda → Variable_2  (the model's unnamed tf.Variables, made in
                                         the order keep_prob, disc_noise_std, l1_lambda)
Leaf names: kernel → W (convs) or w (attention 1x1 convs), bias → b, sn/u → u; alpha, gamma, beta,
sigma_ratio unchanged. Kernels: upstream 2-D conv kernels carry a dummy axis 1 ([k, 1, C_in, C_out], deconv
[k, 1, C_out, C_in]) that ours drop; logits_conv's is already [1, C, 1]. Every mapped trainable variable's
RMSProp mean-square slot `<name>/RMSProp` fills our TF1RMSProp `ms` slot. Ignored by rule: the reference z
(`g_ae/z/z`, `g_ae/z{n}/z`; we draw z per call), `Variable` (keep_prob, unused by the AE generator) and the
momentum slots `<name>/RMSProp_1` (momentum 0: they hold only the last step, which never enters the next).
"""
from __future__ import annotations

import re

import numpy as np
import tensorflow as tf

from common.config import variants

SLOT = "/RMSProp"
L1_LAMBDA = "l1_lambda"
_IGNORED = re.compile(r"^(g_ae/z\d*/z|Variable|.*/RMSProp_1)$")


class ImportFailure(ValueError):
    """The checkpoint does not fit the model; the message lists every offending variable."""


def upstream_name(path: str, variant: str) -> str:
    """Our variable path (`.path`, or 'l1_lambda') in a model of `variant` → its upstream TF1 variable name."""
    special = {"discriminator/noise_std": "Variable_1", L1_LAMBDA: "Variable_2",
               "discriminator/fully_connected/kernel": "d_model/fully_connected/weights",
               "discriminator/fully_connected/bias": "d_model/fully_connected/biases"}
    if path in special:
        return special[path]
    parts = path.split("/")
    if parts[-2:] == ["sn", "u"]:
        parts = parts[:-2] + ["u"]
    if parts[-1] == "kernel":
        parts[-1] = "w" if parts[-2].startswith("sn_conv_") else "W"
    else:
        parts[-1] = {"bias": "b"}.get(parts[-1], parts[-1])
    model, layer, rest = parts[0], parts[1], parts[2:]
    if model == "chain":
        gen = re.fullmatch(r"generator(?:_(\d+))?", layer)
        if gen is None or not rest:
            raise KeyError(path)
        try:
            rest = [variants.tf1_layer(variant, rest[0], int(gen.group(1) or 0))] + rest[1:]
        except KeyError:
            raise KeyError(path) from None
        return "/".join(["g_ae"] + rest)
    if model == "discriminator" and rest:
        block = re.fullmatch(r"d_(block|vbn)_(\d+)", layer)
        if block is None:
            return "/".join(["d_model", layer] + rest)
        i = block.group(2)
        inner = "downconv" if block.group(1) == "block" else f"d_vbn_{i}"
        return "/".join(["d_model", f"d_block_{i}", inner] + rest)
    raise KeyError(path)


def _has_dummy_axis(path: str) -> bool:
    return path.endswith("/kernel") and path.split("/")[-2] not in ("logits_conv", "fully_connected")


def to_upstream(path: str, value: np.ndarray) -> np.ndarray:
    """Our layout → upstream layout (the dummy spatial axis of the 2-D conv kernels)."""
    return np.expand_dims(value, 1) if _has_dummy_axis(path) else np.asarray(value)


def from_upstream(path: str, value: np.ndarray) -> np.ndarray:
    return np.squeeze(value, 1) if _has_dummy_axis(path) else np.asarray(value)


def upstream_shape(path: str, shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    return shape[:1] + (1,) + shape[1:] if _has_dummy_axis(path) else shape


def trainer_variables(trainer) -> dict:
    """{upstream name: (our path, our variable)} of a Trainer: every model variable, λ and the
    RMSProp mean-square slot of each trainable one."""
    out, variant = {}, trainer.cfg.variant
    for model, opt in ((trainer.chain, trainer.g_opt), (trainer.disc, trainer.d_opt)):
        trainable = {id(v) for v in model.trainable_variables}
        for v in model.variables:
            name = upstream_name(v.path, variant)
            out[name] = (v.path, v)
            if id(v) in trainable:
                out[name + SLOT] = (v.path, opt.ms_slot(v))
    out[upstream_name(L1_LAMBDA, variant)] = (L1_LAMBDA, trainer.l1_lambda)
    return out


def read_checkpoint(path: str) -> dict:
    """{name: array} of a TF1 checkpoint prefix (`.../SEGAN-97400`)."""
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.NotFoundError, tf.errors.DataLossError, ValueError) as e:
        raise ImportFailure(f"cannot read a TF checkpoint at {path}: {e}") from None
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def import_values(values: dict, trainer, allow_partial: bool = False) -> list[str]:
    """Assign a TF1 checkpoint's arrays to a Trainer's variables. Shape disagreements always fail;
    checkpoint variables that map to nothing and our variables left without a value fail unless
    allow_partial. Returns warnings (what allow_partial let through)."""
    ours = trainer_variables(trainer)
    unmapped = sorted(n for n in values if n not in ours and not _IGNORED.match(n))
    missing = sorted(n for n in ours if n not in values)
    bad_shape = []
    for name, (path, var) in ours.items():
        if name in values:
            want = upstream_shape(path, var.shape)
            if tuple(values[name].shape) != want:
                bad_shape.append(f"{name} {list(values[name].shape)} in the checkpoint vs {path} "
                                 f"{tuple(var.shape)} of the model (needs {list(want)})")
    problems = [f"shape mismatch: {m}" for m in bad_shape]
    listed = [(f"checkpoint variables that map to no model variable ({len(unmapped)})",
               [f"{n} {list(values[n].shape)}" for n in unmapped]),
              (f"model variables without a value in the checkpoint ({len(missing)})",
               [f"{ours[n][0]} (upstream name {n})" for n in missing])]
    listed = [(title, items) for title, items in listed if items]
    if problems or (listed and not allow_partial):
        raise ImportFailure("\n".join(problems + [f"{t}:\n  " + "\n  ".join(i) for t, i in listed]
                                      + (["(--allow_partial imports the rest)"] if listed else [])))
    for name, (path, var) in ours.items():
        if name in values:
            var.assign(tf.cast(from_upstream(path, values[name]), var.dtype))
    return [f"{t}: " + ", ".join(i) for t, i in listed]


def export_values(trainer, slots: bool = False) -> dict:
    """{upstream name: array in upstream layout} of a Trainer's model variables (and λ; with slots,
    the RMSProp mean-square slots too)."""
    return {name: to_upstream(path, var.numpy()) for name, (path, var) in trainer_variables(trainer).items()
            if slots or not name.endswith(SLOT)}


def detect_model(shapes: dict) -> tuple[str | None, dict]:
    """(variant or None, ModelConfig fields) read off a checkpoint's {name: shape}: a variant of distinct generators
    and its own fields (the specs' tf1_detect: DSEGAN, its depth), channels, canvas (from the reference z or D's
    dense layer), biases, PReLU and the attention sites. SEGAN and ISEGAN-N have the same variables, so the
    variant is None unless a spec recognises it, or D attention (SASEGAN = SEGAN)."""
    names = set(shapes)
    variant, generators, own = variants.tf1_detect(names)

    def g(layer, n=0):
        return f"g_ae/{variants.tf1_layer(variant, layer, n)}"

    def depths(name_of):  # the channels of layers 0, 1, … while their kernels exist
        out = []
        while (name := name_of(len(out))) in shapes:
            out.append(shapes[name][-1])
        return out

    enc = depths(lambda i: f"{g(f'enc_{i}')}/W")
    fmaps = depths(lambda i: f"d_model/d_block_{i}/downconv/W")
    g_att = sorted({k for k in range(len(enc)) for n in range(generators)
                    if any(name.startswith(f"{g(f'encoder_attention_layer{k}', n)}/") for name in names)})
    d_att = sorted({int(m.group(1)) for n in names
                    if (m := re.match(r"d_model/discriminator_attention_layer(\d+)/", n))})

    fields = dict(g_nl="prelu" if any("_prelu_" in n for n in names) else "leaky",
                  bias_downconv=f"{g('enc_0')}/b" in names, bias_deconv=f"{g('dec_0')}/b" in names,
                  self_attention=bool(g_att), d_attention=bool(d_att))
    if g_att or d_att:
        fields["att_layer_ind"] = tuple(g_att or d_att)
    z = shapes.get(f"{g('z')}/z")
    if enc:
        fields["g_enc_depths"] = tuple(enc)
        if z:
            fields["canvas_size"] = z[1] * 2 ** len(enc)
    if fmaps:
        fields.update(d_num_fmaps=tuple(fmaps), bias_D_conv="d_model/d_block_0/downconv/b" in names)
        fc = shapes.get("d_model/fully_connected/weights")
        if fc:
            fields["canvas_size"] = fc[0] * 2 ** len(fmaps)
    return variant or ("segan" if d_att else None), {**fields, **own}
