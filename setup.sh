#!/usr/bin/env bash
# Creates .venv with everything the autograder and its tests need. Safe to run again: it only
# reinstalls when pyproject.toml changed.
#
# TORCH_SPEC chooses the PyTorch build. The default, torch==2.13.0, takes the CPU wheel on the
# course's CPU machines. On a CUDA grading host, install a CUDA build instead, e.g.
#   TORCH_SPEC="torch==2.13.0" PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cu128 ./setup.sh
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
stamp=.venv/.installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $TORCH_SPEC"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip_install() { .venv/bin/python -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; return "${PIPESTATUS[0]}"; }
pip_install --upgrade pip
# torch first and pinned, so that no other requirement pulls a multi-GB CUDA build.
pip_install "$TORCH_SPEC"
pip_install -e ".[test]"
.venv/bin/python -c "import torch, otter, autograder" 
echo "$want" > "$stamp"
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
