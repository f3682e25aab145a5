"""Reading a checkpoint into objects that must match it exactly: the values the checkpoint holds for them and
the values they have, compared on the checkpoint's object graph (tf.train.CheckpointView: which object holds
which value, by attribute path) before anything is read, so that a mismatch is refused, never partly loaded.

TensorFlow's own assertions fall short here: `assert_existing_objects_matched` ignores checkpoint values the
objects lack (an attention checkpoint would load into a model without attention), and `assert_consumed` also
wants every other object of the checkpoint (the generator chain read alone leaves the discriminator and the
optimizers unread). Variable names would not do either: a checkpoint keys each value by the first path that
reaches it, so the chain's kernels are keyed under g_opt/_trainable_variables/<n>.
"""
from __future__ import annotations

import collections

import tensorflow as tf

SHOWN = 3  # paths named per side of a mismatch


class CheckpointMismatch(ValueError):
    """A checkpoint whose values are not those of the objects read from it; the message names a few."""


def restore_exactly(prefix: str, objects: dict) -> None:
    """Read `objects` ({top-level name in the checkpoint: trackable}) from checkpoint `prefix`, refusing with
    CheckpointMismatch a checkpoint that holds a value under those names the objects lack, or lacks one they
    have. The checkpoint's other top-level objects are not read."""
    view = tf.train.CheckpointView(prefix)
    root = tf.train.Checkpoint(**objects)
    matched = view.match(root)  # checkpoint node -> object, for the paths both have
    top = view.children(0)
    saved = _leaves({name: top[name] for name in objects if name in top}, view.children, key=lambda node: node)
    own = _leaves(objects, tf.train.TrackableView(root).children, key=id)
    extra = [path for node, path in saved.items() if node not in matched]
    matched_objects = {id(obj) for obj in matched.values()}
    lacking = [path for key, path in own.items() if key not in matched_objects]
    problems = [f"{what} ({_few(paths)})" for what, paths in (
        (f"it holds {len(extra)} variable(s) the model lacks", extra),
        (f"it lacks {len(lacking)} of the model's variable(s)", lacking)) if paths]
    if problems:
        raise CheckpointMismatch("; ".join(problems))
    root.read(prefix).expect_partial()  # expect_partial: the other top-level objects stay unread


def _leaves(start: dict, children, key) -> dict:
    """{key(node): path} of the nodes without children (the values) reachable from `start` ({name: node}),
    breadth first, each by its first path."""
    paths, queue, leaves = {}, collections.deque(), {}
    for name, node in start.items():
        paths.setdefault(key(node), name)
        queue.append(node)
    while queue:
        node = queue.popleft()
        below = children(node)
        if not below:
            leaves[key(node)] = paths[key(node)]
        for name, child in below.items():
            if key(child) not in paths:
                paths[key(child)] = f"{paths[key(node)]}/{name}"
                queue.append(child)
    return leaves


def _few(paths: list[str]) -> str:
    paths = sorted(paths)
    return ", ".join(paths[:SHOWN]) + (", …" if len(paths) > SHOWN else "")
