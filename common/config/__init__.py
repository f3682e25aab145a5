"""Configuration: the model and training fields, their flags, the quick recipe and the one table of named
configurations. No TensorFlow."""
