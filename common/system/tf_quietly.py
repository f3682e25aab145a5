"""Importing this module imports TensorFlow without its start-up noise (common/system/quiet_tf.py).

Entry points import it before anything else that imports TensorFlow: `from common.system.tf_quietly import tf`.
"""
from common.system.quiet_tf import import_tensorflow

tf = import_tensorflow()
