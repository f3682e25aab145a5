"""Audio and data: WAV I/O and signal helpers, the TFRecords format and its tf.data reader, the corpora
(VoiceBank-DEMAND, the demo) and the signal metrics."""
