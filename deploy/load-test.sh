#!/usr/bin/env bash
# deploy/load-test.sh: ingests clips at a fixed rate for a fixed time into a local standalone
# cluster (deploy/local-cluster.sh) running the training job, and reports every --every seconds
# and at the end: sustained throughput, end-to-end lag, back-pressure, and heap and native
# (resident) memory of every TaskManager over time, with their growth per minute.
#
#   deploy/load-test.sh [--rate 1] [--seconds 300] [--taskmanagers 1] [--slots 2]
#                       [--batch-size 2] [--every 10] [--drain-wait 300] [--prep-only]
#                       [--prefill N] [--repeat R]
#
# A rate above the job's capacity builds a backlog: the job then runs at its capacity, which is
# how the scaling figure is measured (--prep-only: samples go to a discarding sink instead of the
# trainer, so the preprocessing alone is measured; --drain-wait 0 skips waiting for the backlog).
# --rate 0 produces as fast as the broker takes clips. --prefill N produces N clips before the job
# starts and feeds nothing while it runs: the job then has the machine to itself, which is how the
# scaling figure is measured on one machine (the feeder and broker otherwise take CPU from it).
# --repeat R is prep.repeated-sampling (default 4, the job's default): each clip record trains as
# R samples, so throughput counts samples and the lag and drain count records (samples / R).
# Settings: BIMM_LOAD_DIR (default bimm-data/load-test), BIMM_LOAD_REST_PORT (28081),
# BIMM_LOAD_KAFKA_PORT (29092), BIMM_VIDEOS (../shared/data/videos).
# The last line is
#   load rate=R seconds=S slots=N produced=P throughput=X clips/s lag_records=L lag_s=T
#        backpressure=B% heap_growth_mb_per_min=H rss_growth_mb_per_min=G cores_used=C
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"
DIR="${BIMM_LOAD_DIR:-$ROOT/bimm-data/load-test}"
REST="${BIMM_LOAD_REST_PORT:-28081}"
KPORT="${BIMM_LOAD_KAFKA_PORT:-29092}"
VIDEOS="${BIMM_VIDEOS:-$ROOT/../shared/data/videos}"
export BIMM_CLUSTER_DIR="$DIR/cluster"
LC="$ROOT/deploy/local-cluster.sh"
BIMM="$ROOT/bimm"

RATE=1
SECONDS_RUN=300
TMS=1
SLOTS=2
BATCH=2
EVERY=10
DRAIN_WAIT=300
PREP_ONLY=false
PREFILL=0
REPEAT=4
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE="$2"; shift 2 ;;
        --seconds) SECONDS_RUN="$2"; shift 2 ;;
        --taskmanagers) TMS="$2"; shift 2 ;;
        --slots) SLOTS="$2"; shift 2 ;;
        --batch-size) BATCH="$2"; shift 2 ;;
        --every) EVERY="$2"; shift 2 ;;
        --drain-wait) DRAIN_WAIT="$2"; shift 2 ;;
        --prep-only) PREP_ONLY=true; shift ;;
        --prefill) PREFILL="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "load-test: unknown argument $1" >&2; exit 2 ;;
    esac
done
PAR=$((TMS * SLOTS))

TRAIN_PID=""
FEED_PID=""
cleanup() {
    for p in "$FEED_PID" "$TRAIN_PID"; do
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    "$LC" stop >/dev/null 2>&1
}
trap cleanup EXIT


vertex() { # name fragment -> vertex id
    rest "/jobs/$JID" | json "[v['id'] for v in d['vertices'] if '$1' in v['name']][0]"
}

# Aggregated subtask metric of a vertex: agg = sum | avg | max
vmetric() { # vid metric agg
    local v
    v="$(rest "/jobs/$JID/vertices/$1/subtasks/metrics?get=$2&agg=$3" | json "d[0]['$3']")"
    echo "${v:-0}"
}

log "starting a local cluster: $TMS TaskManager(s) x $SLOTS slot(s) under $DIR"
"$LC" stop >/dev/null 2>&1
rm -rf "$DIR"
mkdir -p "$DIR"
"$LC" start --taskmanagers "$TMS" --slots "$SLOTS" --rest-port "$REST" --kafka-port "$KPORT" \
    >"$DIR/cluster-start.out" 2>&1 || { cat "$DIR/cluster-start.out"; exit 1; }

if [ "$PREFILL" -gt 0 ]; then
    log "prefilling the clips topic with $PREFILL clips"
    "$BIMM" feed --bootstrap "localhost:$KPORT" --rate 0 --count "$PREFILL" "$VIDEOS" \
        >"$DIR/feed.out" 2>"$DIR/feed.err" || { cat "$DIR/feed.err"; exit 1; }
    log "$(tail -n 1 "$DIR/feed.out")"
fi

"$BIMM" train --jobmanager "localhost:$REST" --bootstrap "localhost:$KPORT" --fresh \
    --batch-size "$BATCH" --checkpoint-dir "$DIR/checkpoints" --checkpoint-every 0 \
    -D prep.parallelism="$PAR" -D prep.only="$PREP_ONLY" -D kafka.group-id=load-test \
    -D prep.repeated-sampling="$REPEAT" \
    -D train.flink-checkpoint-interval=30s >"$DIR/train.out" 2>&1 &
TRAIN_PID=$!
JID="$(await_job_id "$TRAIN_PID" "$DIR/train.out")" || { log "the job did not start:"; cat "$DIR/train.out"; exit 1; }
# Wait until every task runs (the trainer's model is built in its initialization).
for _ in $(seq 1 300); do
    [ "$(rest "/jobs/$JID" | json "all(v['status']=='RUNNING' for v in d['vertices'])")" = True ] && break
    sleep 1
done
PREP="$(vertex decode-targets-mask)"
SINK="$(vertex training-sink)"
# Operator-scoped metrics: right even where Flink chains the sink to the preprocessing.
PREP_OUT=decode-targets-mask.numRecordsOut
SINK_IN=training-sink.numRecordsIn
if [ "$PREP_ONLY" = true ]; then
    SINK="$PREP"
    SINK_IN="$PREP_OUT"
fi
T0="$(date +%s)"
if [ "$PREFILL" -gt 0 ]; then
    log "job $JID running: prep.parallelism=$PAR prep.only=$PREP_ONLY; consuming the backlog of $PREFILL clips for $SECONDS_RUN s"
else
    log "job $JID running: prep.parallelism=$PAR prep.only=$PREP_ONLY; feeding $RATE clips/s for $SECONDS_RUN s"
    FEED_ARGS=(--bootstrap "localhost:$KPORT" --rate "$RATE" --seconds "$SECONDS_RUN")
    "$BIMM" feed "${FEED_ARGS[@]}" "$VIDEOS" >"$DIR/feed.out" 2>"$DIR/feed.err" &
    FEED_PID=$!
fi

# Samples: t, produced (Kafka end offsets), prep out, trained, prep busy/backpressured ms/s,
# per TaskManager heap MB and RSS MB.
SAMPLES="$DIR/samples.tsv"
printf 't_s\tproduced\tprep_out\tconsumed\tprep_busy_ms_s\tprep_backpressured_ms_s\theap_mb\trss_mb\tcpu_s\n' >"$SAMPLES"
printf '%6s %8s %8s %8s %8s %8s %10s %10s %8s\n' t_s produced prepared consumed busy% bp% heap_mb rss_mb cpu_s
tm_heap_rss() { # "heap_mb rss_mb cpu_s" summed over TaskManagers
    local heap=0 rss=0 cpu=0 f pid id h c
    for id in $(rest /taskmanagers | json "' '.join(t['id'] for t in d['taskmanagers'])"); do
        h="$(rest "/taskmanagers/$id/metrics?get=Status.JVM.Memory.Heap.Used" | json "int(float(d[0]['value'])/1048576)")"
        heap=$((heap + ${h:-0}))
    done
    for f in "$BIMM_CLUSTER_DIR"/pid/taskmanager-*.pid; do
        pid="$(cat "$f")"
        r="$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status" 2>/dev/null)"
        rss=$((rss + ${r:-0}))
        # utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat)
        c="$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)"
        cpu=$((cpu + ${c:-0}))
    done
    echo "$heap $rss $((cpu / $(getconf CLK_TCK)))"
}
while true; do
    sleep "$EVERY"
    t=$(($(date +%s) - T0))
    prep_out="$(vmetric "$PREP" "$PREP_OUT" sum)"
    consumed="$(vmetric "$SINK" "$SINK_IN" sum)"
    busy="$(vmetric "$PREP" busyTimeMsPerSecond avg)"
    bp="$(vmetric "$PREP" backPressuredTimeMsPerSecond avg)"
    # Produced so far: the feed is paced (clip k at k/rate s); unpaced, the records read so far.
    if [ "$PREFILL" -gt 0 ]; then
        prod="$PREFILL"
    else
        prod="$(python3 -c "r=float('$RATE'); print(int(min(r*$t, r*$SECONDS_RUN)) if r>0 else '')")"
    fi
    [ -n "$prod" ] || prod="$(vmetric "$(vertex kafka-clips)" numRecordsOut sum)"
    read -r heap rss cpu <<<"$(tm_heap_rss)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$prod" "$prep_out" "$consumed" "$busy" "$bp" "$heap" "$rss" "$cpu" >>"$SAMPLES"
    printf '%6s %8s %8s %8s %8.0f %8.0f %10s %10s %8s\n' "$t" "${prod%.*}" "${prep_out%.*}" "${consumed%.*}" \
        "$(python3 -c "print(float('${busy:-0}')/10)")" "$(python3 -c "print(float('${bp:-0}')/10)")" "$heap" "$rss" "$cpu"
    if { [ -z "$FEED_PID" ] || ! kill -0 "$FEED_PID" 2>/dev/null; } && [ "$t" -ge "$SECONDS_RUN" ]; then
        break
    fi
    kill -0 "$TRAIN_PID" 2>/dev/null || { log "the job ended early:"; tail -5 "$DIR/train.out"; exit 1; }
done
if [ -n "$FEED_PID" ]; then
    wait "$FEED_PID"
    FEED_PID=""
    log "$(tail -n 1 "$DIR/feed.out")"
fi
FED="$(sed -n 's/^fed \([0-9]*\) clips.*/\1/p' "$DIR/feed.out")"
# End-to-end lag of the last clip: from the end of the feed until the sink has consumed it.
T_END="$(date +%s)"
DRAIN=""
# With --rate 0 the feed builds a backlog on purpose: there is no drain to wait for.
[ "$(python3 -c "print(float('$RATE') > 0)")" = True ] || DRAIN_WAIT=0
[ "$PREFILL" -gt 0 ] && DRAIN_WAIT=0
for _ in $(seq 1 "$DRAIN_WAIT"); do
    c="$(vmetric "$SINK" "$SINK_IN" sum)"
    if [ "${c%.*}" -ge "$((${FED:-0} * REPEAT))" ]; then
        DRAIN=$(($(date +%s) - T_END))
        break
    fi
    sleep 1
done
log "last clip consumed ${DRAIN:-(not within $DRAIN_WAIT)} s after the feed ended"

python3 - "$SAMPLES" "$RATE" "$SECONDS_RUN" "$PAR" "${FED:-0}" "${DRAIN:--1}" "$REPEAT" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
rate, secs, par, produced = float(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5] or 0)
drain = float(sys.argv[6])
repeat = int(sys.argv[7])  # samples per clip record
t = [float(r[0]) for r in rows]
col = lambda i: [float(r[i] or 0) for r in rows]
prep, cons, busy, bp, heap, rss, cpu = col(2), col(3), col(4), col(5), col(6), col(7), col(8)
# Steady state: skip the first fifth (model build, first fetch, JIT).
k = max(1, len(t) // 5)
dt = t[-1] - t[k]
thr = (cons[-1] - cons[k]) / dt if dt > 0 else 0.0
prep_thr = (prep[-1] - prep[k]) / dt if dt > 0 else 0.0
cores = (cpu[-1] - cpu[k]) / dt if dt > 0 else 0.0
per_cpu_s = (cons[-1] - cons[k]) / (cpu[-1] - cpu[k]) if cpu[-1] > cpu[k] else 0.0
lag = max(0, produced - cons[-1] / repeat)  # records, at the last sample, when the feed ended
lag_s = drain if drain >= 0 else float("inf")
bp_pct = sum(bp[k:]) / len(bp[k:]) / 10
busy_pct = sum(busy[k:]) / len(busy[k:]) / 10
# Memory growth over the second half only: the first minutes are warm-up (JIT, Kafka buffers,
# PyTorch's allocator caches, the first checkpoints), after which resident memory must be flat.
h = len(t) // 2
def slope(y):  # least squares, MB per minute
    xs, ys = t[h:], y[h:]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (v - my) for x, v in zip(xs, ys)) / sxx if sxx else 0.0
print(f"steady state from t={t[k]:.0f}s: preprocessing {prep_thr:.2f} samples/s"
      f" (busy {busy_pct:.0f}% per subtask), consumed by the sink {thr:.2f}/s;"
      f" heap {min(heap[k:]):.0f}-{max(heap[k:]):.0f} MB, RSS {min(rss[k:]):.0f}-{max(rss[k:]):.0f} MB;"
      f" TaskManagers used {cores:.2f} cores: {per_cpu_s:.2f} clips per CPU-second")
print(f"memory over the second half (t >= {t[h]:.0f}s): heap {min(heap[h:]):.0f}-{max(heap[h:]):.0f} MB,"
      f" RSS {min(rss[h:]):.0f}-{max(rss[h:]):.0f} MB (mean {sum(rss[h:]) / len(rss[h:]):.0f});"
      f" first half RSS mean {sum(rss[:h]) / max(1, h):.0f} MB")
print(f"load rate={rate:g} seconds={secs} slots={par} produced={produced} throughput={thr:.2f}"
      f" clips/s lag_records={lag:.0f} lag_s={lag_s:.1f} backpressure={bp_pct:.0f}%"
      f" heap_growth_mb_per_min={slope(heap):.1f} rss_growth_mb_per_min={slope(rss):.1f}"
      f" cores_used={cores:.2f}")
EOF
