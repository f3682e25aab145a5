"""Evaluation and reports: scoring enhanced sets, summarising them, their tables and files, the published rows,
the paper table, paired comparisons of scored runs, and the listening pages (which files, their HTML)."""
