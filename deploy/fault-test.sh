#!/usr/bin/env bash
# deploy/fault-test.sh: the faults real clusters see, on a real local standalone cluster
# (deploy/local-cluster.sh: JobManager + 2 TaskManager JVMs x 2 slots + the Kafka broker), during
# one training run of the tiny preset:
#
#   exception        an exception thrown inside an operator (fault.throw-at-sample): the job
#                    restarts inside the same TaskManager JVMs (DJL/JavaCPP native libraries are
#                    loaded once per JVM, parent-first) and goes on from its last checkpoint
#   nan-step         a NaN in one sample's target (fault.nan-at-sample): its step is skipped by
#                    the NaN/Inf guard and counted (skipped_steps in the checkpoint manifest)
#   kill-taskmanager kill -9 of the TaskManager running the training sink (then started again,
#                    as a supervisor would): restart from the last checkpoint, the restored step
#                    never goes below an earlier restore's
#   kafka-restart    the broker stopped for 20 s and started again; clips produced after it are
#                    trained
#   disk-full        the checkpoint disk (a tmpfs; immutable directory where mounting is not
#                    allowed) filled up: the write error is logged and counted, the last good
#                    checkpoint stays the restore point, training continues once there is room
#   corrupt-checkpoint  after the run, the final model checkpoint is truncated and the job
#                    resumed from its savepoint: restore refuses it and falls back to the previous
#                    good one with a log line saying so
#
# Every clip (record) produced is counted, and the final model's manifest says how many samples it
# was trained on; each record trains as R samples (prep.repeated-sampling, R below): trained +
# skipped (NaN step) + pending must equal R x produced. The last line is
#   faults survived=S/F produced=P trained=T   (P records, T samples)
# Takes about 10 minutes on 2 cores. Not in CI (see deploy/README.md). Exit code 0 iff all passed.
# Settings: BIMM_FAULT_DIR (default bimm-data/fault-test), BIMM_FAULT_REST_PORT (18081),
# BIMM_FAULT_KAFKA_PORT (19092), BIMM_VIDEOS (../shared/data/videos).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"
DIR="${BIMM_FAULT_DIR:-$ROOT/bimm-data/fault-test}"
REST="${BIMM_FAULT_REST_PORT:-18081}"
KPORT="${BIMM_FAULT_KAFKA_PORT:-19092}"
VIDEOS="${BIMM_VIDEOS:-$ROOT/../shared/data/videos}"
export BIMM_CLUSTER_DIR="$DIR/cluster"
LC="$ROOT/deploy/local-cluster.sh"
BIMM="$ROOT/bimm"
CK="$DIR/checkpoints"
B=3             # batch size
R=2             # samples per record (prep.repeated-sampling): a record's samples may straddle
                # a checkpoint and must still be trained exactly once
P1=24           # clips produced before the broker restart: enough that the kill -9 (at step 6
                # or a little later, as fast as the job trains) leaves untrained clips
P2=24           # clips produced after it: 16 steps, so the disk-full fault (after the first
                # step on them) meets a job that still trains and writes checkpoints
NAN_AT=4        # the 4th sample gets a NaN: the 2nd batch is skipped
THROW_AT=12     # the 12th sample throws
MAX=$(((P1 + P2) * R / B - 1)) # every batch but the skipped one becomes a step

SURVIVED=0
FAULTS=0
TRAIN_PID=""
DISK_MODE=none


result() { # name ok|fail detail
    FAULTS=$((FAULTS + 1))
    if [ "$2" = ok ]; then
        SURVIVED=$((SURVIVED + 1))
        echo "fault $1: survived $3"
    else
        echo "fault $1: FAILED $3"
    fi
}

cleanup() {
    if [ -n "$TRAIN_PID" ] && kill -0 "$TRAIN_PID" 2>/dev/null; then
        kill "$TRAIN_PID" 2>/dev/null
        wait "$TRAIN_PID" 2>/dev/null
    fi
    "$LC" stop >/dev/null 2>&1
    chattr -i "$CK" 2>/dev/null
    if mountpoint -q "$CK" 2>/dev/null; then
        umount "$CK" 2>/dev/null
    fi
}
trap cleanup EXIT



steps() {
    local v
    v="$(rest "/jobs/$JID/accumulators" | json "[a['value'] for a in d['user-task-accumulators'] if a['name']=='bimm-steps'][0]")"
    echo "${v:--1}"
}

restarts() {
    local v
    v="$(rest "/jobs/$JID/metrics?get=numRestarts" | json "d[0]['value']")"
    echo "${v:-0}"
}

job_state() { rest "/jobs/$JID" | json "d['state']"; }

wait_steps() { # n timeout_s
    local t=0
    while [ "$(steps)" -lt "$1" ]; do
        t=$((t + 1))
        if [ $t -gt "$2" ] || ! kill -0 "$TRAIN_PID" 2>/dev/null; then
            return 1
        fi
        sleep 1
    done
}

tm_logs() { cat "$BIMM_CLUSTER_DIR"/log/taskmanager-*.log 2>/dev/null; }

# Restored steps in the order they happened (log lines of every TaskManager, sorted by time).
restored_steps() {
    tm_logs | grep 'Restored model checkpoint' | sort \
        | sed -n 's/.*(step \([0-9]*\)).*/\1/p'
}

# Seconds from fault (epoch s) until the job runs again and has trained a step past its restore.
wait_recovered() { # t0 restarts_before timeout_s -> prints seconds, or returns 1
    local t0="$1" before="$2" limit="$3" restored s
    while true; do
        [ $(($(date +%s) - t0)) -gt "$limit" ] && return 1
        kill -0 "$TRAIN_PID" 2>/dev/null || return 1
        if [ "$(restarts)" -gt "$before" ] && [ "$(job_state)" = RUNNING ]; then
            restored="$(restored_steps | tail -n 1)"
            s="$(steps)"
            if [ "$s" -gt "${restored:-0}" ]; then
                echo $(($(date +%s) - t0))
                return 0
            fi
        fi
        sleep 1
    done
}

sink_taskmanager() { # index of the TaskManager running the training sink
    local vid
    vid="$(rest "/jobs/$JID" | json "[v['id'] for v in d['vertices'] if 'training-sink' in v['name']][0]")"
    rest "/jobs/$JID/vertices/$vid/taskmanagers" \
        | json "d['taskmanagers'][0]['taskmanager-id']" | sed 's/^tm-//'
}

tm_pids() { cat "$BIMM_CLUSTER_DIR"/pid/taskmanager-*.pid 2>/dev/null | sort | tr '\n' ' '; }

fed() { # count -> produced number
    "$BIMM" feed --bootstrap "localhost:$KPORT" --count "$1" "$VIDEOS" 2>>"$DIR/feed.err" \
        | sed -n 's/^fed \([0-9]*\) clips.*/\1/p'
}

manifest_field() { # dir field
    python3 -c "import json;print(json.load(open('$1/manifest.json'))['$2'])" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
log "setting up under $DIR"
"$LC" stop >/dev/null 2>&1
if mountpoint -q "$CK" 2>/dev/null; then umount "$CK"; fi
rm -rf "$DIR"
mkdir -p "$CK"
if mount -t tmpfs -o size=1200m bimm-fault-ckpt "$CK" 2>/dev/null; then
    DISK_MODE=full
    log "checkpoint directory on a 1200 MiB tmpfs (disk-full fault fills it)"
elif chattr -i "$CK" 2>/dev/null; then
    DISK_MODE=immutable
    log "cannot mount a tmpfs here: the disk fault makes the checkpoint directory immutable"
else
    log "neither a tmpfs nor chattr is available: the disk fault is not run"
fi

"$LC" start --taskmanagers 2 --slots 2 --rest-port "$REST" --kafka-port "$KPORT" \
    >"$DIR/cluster-start.out" 2>&1 || { cat "$DIR/cluster-start.out"; exit 1; }
log "$(tail -n 1 "$DIR/cluster-start.out")"
PRODUCED="$(fed "$P1")"
[ -n "$PRODUCED" ] || { log "producing clips failed: $(tail -3 "$DIR/feed.err")"; exit 1; }
log "produced $PRODUCED clips"

"$BIMM" train --jobmanager "localhost:$REST" --bootstrap "localhost:$KPORT" --fresh \
    --batch-size "$B" --max-steps "$MAX" --checkpoint-dir "$CK" --checkpoint-every 1000 \
    -D train.flink-checkpoint-interval=5s -D prep.parallelism=2 -D kafka.group-id=fault-test \
    -D prep.repeated-sampling="$R" -D fault.nan-at-sample="$NAN_AT" -D fault.throw-at-sample="$THROW_AT" \
    >"$DIR/train.out" 2>&1 &
TRAIN_PID=$!
JID="$(await_job_id "$TRAIN_PID" "$DIR/train.out")" || { log "the job did not start:"; cat "$DIR/train.out"; exit 1; }
log "job $JID running (batch $B, max steps $MAX)"
# The jar users submit: the lean one (no Flink, natives or broker; the cluster's lib/ has them).
grep -q '^job jar .*-cluster\.jar ' "$DIR/train.out" \
    || { log "the job was not submitted from the lean -cluster.jar:"; cat "$DIR/train.out"; exit 1; }
log "$(grep '^job jar ' "$DIR/train.out")"
PIDS_AT_START="$(tm_pids)"

# 1. Exception inside an operator --------------------------------------------------------------
t=0
until [ "$(tm_logs | grep -c 'fault injection: throwing')" -gt 0 ]; do
    t=$((t + 1))
    [ $t -gt 400 ] && break
    sleep 1
done
T0="$(tm_logs | grep 'fault injection: throwing' | head -n 1 | cut -c1-19)"
T0="$(date -d "$T0" +%s 2>/dev/null || date +%s)"
if REC="$(wait_recovered "$T0" 0 300)"; then
    linkerr="$(tm_logs | grep -c 'already loaded in another classloader')"
    if [ "$(tm_pids)" = "$PIDS_AT_START" ] && [ "$linkerr" = 0 ]; then
        result exception ok "recover_s=$REC restarts=$(restarts) same TaskManager JVMs ($PIDS_AT_START), native libraries reused"
    else
        result exception fail "recover_s=$REC TaskManager pids $PIDS_AT_START -> $(tm_pids), 'already loaded' errors: $linkerr"
    fi
else
    result exception fail "no recovery within 300 s (restarts=$(restarts), state $(job_state))"
fi

# 2. kill -9 the TaskManager running the training sink -----------------------------------------
wait_steps 6 400
TM="$(sink_taskmanager)"
BEFORE_STEPS="$(steps)"
BEFORE_RESTARTS="$(restarts)"
"$LC" kill-taskmanager "$TM" >/dev/null
T0="$(date +%s)"
# The accumulator above lags the trainer by a heartbeat or two; the newest model checkpoint the
# killed sink wrote is a step it certainly reached.
ON_DISK="$(find "$CK" -maxdepth 1 -name 'step-*' -printf '%f\n' | sed 's/step-0*//' | sort -n | tail -n 1)"
[ -n "$ON_DISK" ] && [ "$ON_DISK" -gt "$BEFORE_STEPS" ] && BEFORE_STEPS="$ON_DISK"
log "killed -9 taskmanager-$TM at step $BEFORE_STEPS"
sleep 5
"$LC" start-taskmanager "$TM" >/dev/null
if REC="$(wait_recovered "$T0" "$BEFORE_RESTARTS" 300)"; then
    RESTORED="$(restored_steps | tail -n 1)"
    MONO="$(restored_steps | awk 'NR>1 && $1<p {bad=1} {p=$1} END {print bad ? "no" : "yes"}')"
    if [ "$MONO" = yes ] && [ "${RESTORED:-0}" -le "$BEFORE_STEPS" ]; then
        KILL=(ok "recover_s=$REC killed at step $BEFORE_STEPS, restored step $RESTORED (restores in order: $(restored_steps | tr '\n' ' '))")
    else
        KILL=(fail "restored steps went backwards: $(restored_steps | tr '\n' ' ')")
    fi
else
    KILL=(fail "no recovery within 300 s (restarts=$(restarts), state $(job_state))")
fi
RESTARTS_SEEN="$(restarts)"

# 3. Stop and restart the Kafka broker ---------------------------------------------------------
wait_steps 9 400
BEFORE_RESTARTS="$(restarts)"
"$LC" stop-kafka >/dev/null
log "Kafka broker stopped at step $(steps)"
sleep 20
"$LC" start-kafka >/dev/null
T0="$(date +%s)"
log "Kafka broker started again"
MORE="$(fed "$P2")"
PRODUCED=$((PRODUCED + ${MORE:-0}))
log "produced $MORE more clips (total $PRODUCED)"
# P1 clips make at most P1*R/B - 1 steps: more proves clips produced after the restart are trained.
if wait_steps $((P1 * R / B)) 400; then
    RESTARTS_SEEN="$(restarts)"
    result kafka-restart ok "recover_s=$(($(date +%s) - T0)) (from broker start to a step on new clips), job restarts during it: $(($(restarts) - BEFORE_RESTARTS))"
else
    result kafka-restart fail "no step on the clips produced after the restart (steps $(steps), state $(job_state))"
fi

# 4. Checkpoint disk full (or unwritable) ------------------------------------------------------
if [ "$DISK_MODE" != none ]; then
    wait_steps 15 400
    BEFORE_RESTARTS="$(restarts)"
    ERRS_BEFORE="$(tm_logs | grep -c 'checkpoint write failed')"
    if [ "$DISK_MODE" = full ]; then
        dd if=/dev/zero of="$CK/ballast" bs=1M >/dev/null 2>&1
        log "checkpoint disk full ($(df -h "$CK" | awk 'NR==2 {print $3 " used of " $2}')) at step $(steps)"
    else
        chattr +i "$CK"
        log "checkpoint directory immutable at step $(steps)"
    fi
    T0="$(date +%s)"
    t=0
    while [ "$(tm_logs | grep -c 'checkpoint write failed')" -le "$ERRS_BEFORE" ] && [ $t -lt 90 ]; do
        t=$((t + 1))
        sleep 1
    done
    ERRLINE="$(tm_logs | grep 'checkpoint write failed' | tail -n 1 | sed 's/.* - //' | cut -c1-200)"
    sleep 10
    rm -f "$CK/ballast"
    chattr -i "$CK" 2>/dev/null
    log "disk space back"
    if [ -n "$ERRLINE" ] && REC="$(wait_recovered "$T0" "$BEFORE_RESTARTS" 300)"; then
        RESTARTS_SEEN="$(restarts)"
        result disk-full ok "recover_s=$REC (from the disk filling up), reported: $ERRLINE"
    else
        result disk-full fail "error reported: '${ERRLINE}', restarts $(restarts), state $(job_state)"
    fi
fi

# The end of the run: max steps reached, stop with a savepoint -----------------------------------
log "waiting for the run to reach step $MAX"
for _ in $(seq 1 900); do
    kill -0 "$TRAIN_PID" 2>/dev/null || break
    sleep 1
done
wait "$TRAIN_PID"
RC=$?
TRAIN_PID=""
RESTORES="$(grep -c 'Restored model checkpoint' <(tm_logs))"
FINAL="$CK/step-$(printf '%012d' "$MAX")"
TRAINED="$(manifest_field "$FINAL" samples_seen)"
SKIPPED="$(manifest_field "$FINAL" skipped_steps)"
PENDING="$(python3 -c "import json;print(json.load(open('$CK/progress.json'))['pending_samples'])" 2>/dev/null)"
log "run ended (exit $RC): $(tail -n 1 "$DIR/train.out")"
log "final model $FINAL: samples_seen=$TRAINED skipped_steps=$SKIPPED; pending=$PENDING; restores=$RESTORES"
if [ "$RC" = 0 ] && [ "${SKIPPED:-0}" = 1 ] \
    && [ "$(tm_logs | grep -c 'skipped by the NaN/Inf guard')" -gt 0 ]; then
    result nan-step ok "skipped_steps=$SKIPPED in the final manifest, its $B samples not trained"
else
    result nan-step fail "skipped_steps=${SKIPPED:-?} (expected 1), run exit $RC"
fi
ACCOUNTED=$((${TRAINED:-0} + ${SKIPPED:-0} * B + ${PENDING:-0}))
COUNTS="trained $TRAINED + NaN-skipped $((${SKIPPED:-0} * B)) + pending ${PENDING:-0}"
RECORDS="$(python3 -c "import json;print(json.load(open('$CK/progress.json'))['records_covered'])" 2>/dev/null)"
# The kill -9 fault promises exactly once: every produced clip's R samples trained (or skipped) once.
if [ "$ACCOUNTED" = "$((PRODUCED * R))" ] && [ "${RECORDS:-}" = "$PRODUCED" ] && [ "$RC" = 0 ]; then
    result kill-taskmanager "${KILL[0]}" "${KILL[1]}; exactly once: $COUNTS = $R x produced $PRODUCED (records_covered $RECORDS)"
else
    result kill-taskmanager fail "${KILL[1]}; COUNT MISMATCH: $COUNTS != $R x produced $PRODUCED, records_covered ${RECORDS:-?} (run exit $RC)"
fi

# 5. Corrupted model checkpoint on restore -------------------------------------------------------
PREV="$(find "$CK" -maxdepth 1 -name 'step-*' | sort | grep -v "$FINAL" | tail -n 1)"
if [ -d "$FINAL" ] && [ -n "$PREV" ]; then
    PREV_STEP=$((10#$(basename "$PREV" | sed 's/step-//')))
    size="$(stat -c %s "$FINAL/params.safetensors")"
    truncate -s $((size / 2)) "$FINAL/params.safetensors"
    log "truncated $FINAL/params.safetensors to $((size / 2)) bytes; previous checkpoint step $PREV_STEP"
    MORE="$(fed 9)"
    "$LC" status >/dev/null
    T0="$(date +%s)"
    # This run has no fault injection: the injector's state in the savepoint stays unclaimed.
    "$BIMM" train --jobmanager "localhost:$REST" --bootstrap "localhost:$KPORT" \
        --batch-size "$B" --max-steps $((PREV_STEP + ${MORE:-9} * R / B)) --checkpoint-dir "$CK" \
        --checkpoint-every 1000 -D train.flink-checkpoint-interval=5s -D prep.parallelism=2 \
        -D prep.repeated-sampling="$R" \
        -D kafka.group-id=fault-test -D execution.state-recovery.ignore-unclaimed-state=true \
        >"$DIR/train-resume.out" 2>&1
    RC=$?
    REFUSED="$(tm_logs | grep 'Refused model checkpoint' | tail -n 1 | sed 's/.* - //')"
    FELLBACK="$(sed -n 's/.*\(Fell back to the previous good checkpoint [^ ]* (step [0-9]*)\).*/\1/p' <<<"$REFUSED")"
    if [ "$RC" = 0 ] && [ -n "$FELLBACK" ] && [ "$(grep -c "step-$(printf '%012d' "$PREV_STEP")" <<<"$FELLBACK")" = 1 ]; then
        result corrupt-checkpoint ok "resumed and trained $((${MORE:-9} * R / B)) steps in $(($(date +%s) - T0)) s; log: $(cut -c1-120 <<<"$REFUSED")... $FELLBACK ..."
    else
        result corrupt-checkpoint fail "exit $RC, log: '${REFUSED}'; $(tail -n 2 "$DIR/train-resume.out")"
    fi
else
    result corrupt-checkpoint fail "no final checkpoint $FINAL or no earlier one to fall back to"
fi

echo "restarts survived: ${RESTARTS_SEEN:-?} job restarts, $RESTORES model checkpoint restores in the main run; logs under $BIMM_CLUSTER_DIR/log"
echo "faults survived=$SURVIVED/$FAULTS produced=$PRODUCED trained=${TRAINED:-0}"
[ "$SURVIVED" = "$FAULTS" ]
