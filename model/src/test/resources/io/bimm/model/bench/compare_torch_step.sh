#!/usr/bin/env bash
# The DJL training step against PyTorch's own eager step of the same model (tiny preset), same
# batch, same intra-op thread count, on this machine. Run from the repository root after
# `mvn -q -B -o -pl model package -DskipTests`:
#   model/src/test/resources/io/bimm/model/bench/compare_torch_step.sh [BATCH] [THREADS] [STEPS]
# Prints each side's summary line and `ratio djl/torch=R` (below 1: DJL is faster).
#
# Debian's python3-torch links the generic libblas.so.3; with only libblas3 installed that is the
# netlib reference BLAS, many times slower than the MKL inside DJL's libtorch. The fair side is
# Debian's OpenBLAS: installed (libopenblas0-pthread) it provides libblas.so.3 by itself;
# otherwise point OPENBLAS_DIR at an unpacked copy of the package (no install needed):
#   apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb ob
#   OPENBLAS_DIR=$PWD/ob/usr/lib/x86_64-linux-gnu/openblas-pthread compare_torch_step.sh
set -euo pipefail
BATCH="${1:-8}"
THREADS="${2:-2}"
STEPS="${3:-10}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../../../../.." && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
(cd "$ROOT" && mvn -q -B -o -pl model dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null)

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
DJL="$(java -Dai.djl.offline=true -cp "$ROOT/model/target/classes:$(cat "$CP_FILE")" \
    io.bimm.model.bench.TrainBench --preset tiny --batch "$BATCH" --device cpu \
    --threads "$THREADS" --steps "$STEPS" --warmup 2 2>/dev/null)"
echo "$DJL" | grep -E '^preset=|^train '

LIBS="${OPENBLAS_DIR:-}"
TORCH="$(LD_LIBRARY_PATH="${LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" /usr/bin/python3 \
    "$HERE/torch_train_step.py" --batch "$BATCH" --threads "$THREADS" --steps "$STEPS")"
echo "$TORCH"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

djl_s="$(echo "$DJL" | sed -n 's/.*step_s=\([0-9.]*\).*/\1/p' | tail -1)"
torch_s="$(echo "$TORCH" | sed -n 's/.*step_s=\([0-9.]*\).*/\1/p')"
awk -v a="$djl_s" -v b="$torch_s" 'BEGIN { printf "ratio djl/torch=%.2f\n", a / b }'
