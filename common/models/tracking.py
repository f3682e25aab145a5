"""What the models share for checkpointing their layers."""
import keras


def track(owner, layers) -> None:
    """Each Keras layer of `layers` made an attribute of `owner` named after the layer (other entries, e.g. an
    activation function, are skipped): tf.train.Checkpoint follows attributes, not Keras' tracked lists and
    dicts, and the checkpoint keys are these names."""
    for layer in layers:
        if isinstance(layer, keras.layers.Layer):
            setattr(owner, layer.name, layer)
