#!/usr/bin/env bash
# deploy/gpu-check.sh: one command for a machine with an NVIDIA GPU (docs/gpu.md). Prints what DJL
# sees (libtorch version, flavor, GPUs), runs `bench train` for tiny and base in fp32 and bf16, and
# `bimm demo --steps 50` on the GPU when the full job jar is built; ends with the one line
#   gpu-check: device=... base_bf16_clips_per_s=... mfu=... base_fp32_clips_per_s=... demo=ok|fail
# Without a GPU it says so and exits 0 after the CPU figures (short runs at small batches).
# Needs only a JRE and libtorch when model/target/model-*-standalone.jar exists (MODEL_JAR=...);
# otherwise it builds that jar with Maven. Overrides: BATCH, STEPS, CPU_BATCH, CPU_STEPS,
# BIMM_JAVA_OPTS, and DJL's PYTORCH_LIBRARY_PATH / PYTORCH_VERSION / PYTORCH_FLAVOR.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL_JAR="${MODEL_JAR:-$(ls "$ROOT"/model/target/model-*-standalone.jar 2>/dev/null | head -1)}"
if [ -z "$MODEL_JAR" ]; then
    echo "gpu-check: building the standalone model jar (mvn -pl model -am package -Pstandalone)..." >&2
    (cd "$ROOT" && mvn -q -B -pl model -am package -Pstandalone -DskipTests >&2) || {
        echo "gpu-check: the build failed; see the Maven output above." >&2
        exit 1
    }
    MODEL_JAR="$(ls "$ROOT"/model/target/model-*-standalone.jar | head -1)"
fi
# shellcheck disable=SC2086
model() { java ${BIMM_JAVA_OPTS:-} -jar "$MODEL_JAR" "$@"; }

echo "== what DJL sees"
INFO="$(model info 2>&1)" || { echo "$INFO"; echo "gpu-check: DJL could not load libtorch." >&2; exit 1; }
echo "$INFO"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv

if echo "$INFO" | grep -q "GPUs: none"; then
    DEVICE=cpu
    BATCH="${CPU_BATCH:-1}"
    STEPS="${CPU_STEPS:-1}"
    WARMUP=0
    echo "gpu-check: DJL sees no GPU; measuring the CPU with short runs at batch $BATCH."
else
    DEVICE=gpu
    BATCH="${BATCH:-32}"
    STEPS="${STEPS:-20}"
    WARMUP=2
fi

declare -A CLIPS MFU
for preset in tiny base; do
    for precision in fp32 bf16; do
        echo "== bench train --preset $preset --precision $precision --batch $BATCH --device $DEVICE"
        OUT="$(model bench train --preset "$preset" --precision "$precision" --batch "$BATCH" \
            --device "$DEVICE" --steps "$STEPS" --warmup "$WARMUP" 2>&1)"
        echo "$OUT"
        LAST="$(echo "$OUT" | grep '^train clips_per_s=' | tail -1)"
        CLIPS[$preset-$precision]="$(echo "$LAST" | sed -n 's/.*clips_per_s=\([^ ]*\).*/\1/p')"
        MFU[$preset-$precision]="$(echo "$LAST" | sed -n 's/.* mfu=\([^ ]*\).*/\1/p')"
    done
done

DEMO=skipped
FULL_JAR="$(ls "$ROOT"/flink-jobs/target/flink-jobs-*-all.jar 2>/dev/null | head -1)"
if [ "$DEVICE" = gpu ] && [ -n "$FULL_JAR" ]; then
    echo "== bimm demo --steps 50 (train.device=auto: the GPUs)"
    if "$ROOT/bimm" demo --steps 50; then DEMO=ok; else DEMO=fail; fi
fi

echo "gpu-check: device=$DEVICE base_bf16_clips_per_s=${CLIPS[base-bf16]:-none}" \
    "mfu=${MFU[base-bf16]:-none} base_fp32_clips_per_s=${CLIPS[base-fp32]:-none} demo=$DEMO"
exit 0
