#!/bin/sh
# Reproduces models/trained/trained-mini.safetensors: exports the engine's mel filters and token ids,
# then trains (about an hour and a half on 2 shared cores). Extra arguments go to train.py.
# Needs Debian's python3-torch, python3-numpy, libopenblas0-openmp, espeak-ng and sox (libjemalloc2: faster).
set -eu
PYTHON=${PYTHON:-/usr/bin/python3}
node --import tsx models/trainer/export-assets.ts
# Page faults are dear on these VMs: with glibc's malloc, every 30 s batch mapped fresh pages for its
# large tensors and the kernel took a quarter of the time (18 steps a minute; 50 with jemalloc keeping
# what it freed). Debian's libjemalloc2, when installed.
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [ -e "$JEMALLOC" ] && [ -z "${LD_PRELOAD:-}" ]; then
  export LD_PRELOAD="$JEMALLOC" MALLOC_CONF="${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}"
fi
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} exec nice -n 5 "$PYTHON" models/trainer/train.py "$@"
