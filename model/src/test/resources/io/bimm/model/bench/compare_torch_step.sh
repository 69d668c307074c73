#!/usr/bin/env bash
# The DJL training step against PyTorch's own eager step of the same model (tiny preset), same
# batch, same intra-op thread count, on this machine. Run from anywhere after
# `mvn -q -B -o -pl model package -DskipTests`:
#   compare_torch_step.sh [BATCH=8] [THREADS=2] [STEPS=10] [ROUNDS=2]
# The two sides run alternately ROUNDS times (load on a shared machine drifts); each side's best
# wall time per step and best CPU time per step are compared: `ratio djl/torch wall=R cpu=C`
# (below 1: the DJL step is cheaper). CPU time is the whole process's; with THREADS=1 it is the
# least load-sensitive figure.
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
ROUNDS="${4:-2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../../../../.." && pwd)"
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
(cd "$ROOT" && mvn -q -B -o -pl model dependency:build-classpath \
    -Dmdep.outputFile="$CP_FILE" >/dev/null 2>&1)

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -1; }
best() { sort -g | head -1; }
djl_wall=() djl_cpu=() torch_wall=() torch_cpu=()
for round in $(seq "$ROUNDS"); do
    echo "round $round load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
    out="$(java -Dai.djl.offline=true -cp "$ROOT/model/target/classes:$(cat "$CP_FILE")" \
        io.bimm.model.bench.TrainBench --preset tiny --batch "$BATCH" --device cpu \
        --threads "$THREADS" --steps "$STEPS" --warmup 2 2>/dev/null)"
    echo "$out" | grep -E '^preset=|^cpu_s|^train '
    djl_wall+=("$(echo "$out" | field step_s)")
    djl_cpu+=("$(echo "$out" | field cpu_s_per_step)")
    out="$(LD_LIBRARY_PATH="${OPENBLAS_DIR:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        /usr/bin/python3 "$HERE/torch_train_step.py" --batch "$BATCH" --threads "$THREADS" \
        --steps "$STEPS")"
    echo "$out"
    torch_wall+=("$(echo "$out" | field step_s)")
    torch_cpu+=("$(echo "$out" | field cpu_s_per_step)")
done
echo "end load: $(cut -d' ' -f1-3 /proc/loadavg)"
dw="$(printf '%s\n' "${djl_wall[@]}" | best)"
dc="$(printf '%s\n' "${djl_cpu[@]}" | best)"
tw="$(printf '%s\n' "${torch_wall[@]}" | best)"
tc="$(printf '%s\n' "${torch_cpu[@]}" | best)"
echo "best step_s djl=$dw torch=$tw  best cpu_s_per_step djl=$dc torch=$tc"
awk -v a="$dw" -v b="$tw" -v c="$dc" -v d="$tc" \
    'BEGIN { printf "ratio djl/torch wall=%.2f cpu=%.2f\n", a / b, c / d }'
