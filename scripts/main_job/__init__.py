"""The main job behind scripts/pipeline.py: its settings, its child processes and its steps."""
