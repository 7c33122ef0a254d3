#!/bin/sh
# Reproduces models/trained/trained-mini.safetensors: exports the engine's mel filters and token ids,
# then trains (about an hour and a half on 2 shared cores). Extra arguments go to train.py.
# Needs Debian's python3-torch, python3-numpy, libopenblas0-openmp, espeak-ng and sox.
set -eu
PYTHON=${PYTHON:-/usr/bin/python3}
node --import tsx models/trainer/export-assets.ts
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} exec nice -n 5 "$PYTHON" models/trainer/train.py "$@"
