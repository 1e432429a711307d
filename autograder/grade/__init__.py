"""Grading submissions: the pipeline per submission, its checks and results; batches of them,
with their options, executors, incremental plan and results store."""
