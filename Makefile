# Shortcuts; the README's two commands are the supported entry points.
.PHONY: setup demo test gpu-check bench

setup:
	./setup.sh

demo: setup
	.venv/bin/autograder demo

test: setup
	.venv/bin/python -m pytest -q

# On a CUDA grading host (after a CUDA build of torch is installed, see README):
gpu-check: setup
	.venv/bin/python scripts/gpu_check.py

bench: setup
	.venv/bin/python benchmarks/throughput.py
