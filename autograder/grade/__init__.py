"""Grading submissions: ingestion, the pipeline per submission, checks, results, batches."""
