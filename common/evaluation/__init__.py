"""Evaluation and reports: scoring enhanced sets, summarising them, their tables and files, the published rows
and the paper table."""
