"""Evaluation and reports: scoring enhanced sets, summarising them, their tables and files, the published rows,
the paper table, and paired comparisons of scored runs."""
