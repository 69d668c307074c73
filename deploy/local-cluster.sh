#!/usr/bin/env bash
# deploy/local-cluster.sh: a real Flink standalone cluster on this machine, from the jars Maven
# resolved (deploy/pom.xml), plus the Kafka broker: one JobManager JVM
# (StandaloneSessionClusterEntrypoint), N TaskManager JVMs (TaskManagerRunner) and `bimm kafka`,
# each a separate process with its own log and pid file.
#
#   deploy/local-cluster.sh start [--taskmanagers N] [--slots S] [--rest-port P] [--kafka-port K]
#                                 [--bind-address ADDR] [--prometheus-port P]
#   deploy/local-cluster.sh stop
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh start-taskmanager I | kill-taskmanager I   (fault tests; kill = -9)
#   deploy/local-cluster.sh start-kafka | stop-kafka
#
# Then: ./bimm train --jobmanager localhost:8081 --bootstrap localhost:9092 ...
# State, logs and pid files: $BIMM_CLUSTER_DIR (default bimm-data/cluster). Memory per
# TaskManager: BIMM_TM_MEMORY (default 3g); per JobManager: BIMM_JM_MEMORY (default 1g).
# The REST endpoint (dashboard, job submission) listens on 127.0.0.1 and has no jar upload
# (web.submit.enable: false); --bind-address 0.0.0.0 opens it. RPC and Kafka stay on 127.0.0.1.
# --prometheus-port P: Flink's Prometheus reporter (a plugin) on every process, the JobManager on
# P, TaskManager I on P+I, with the metric filter of k8s/flink-cluster.yaml. Flink's reporter has
# no bind address: it listens on every interface, which is why it is off unless asked for.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${BIMM_CLUSTER_DIR:-$ROOT/bimm-data/cluster}"
CONF="$DIR/conf"
LOGS="$DIR/log"
PIDS="$DIR/pid"
CP_FILE="$ROOT/deploy/target/flink-lib.classpath"
# Flink's plugins (flink-metrics-prometheus), each in its own class loader; deploy/pom.xml copies them.
export FLINK_PLUGINS_DIR="$ROOT/deploy/target/plugins"
# The reporter's metric filter has one source, the Kubernetes manifest (LocalClusterITCase and
# ManifestsTest check that the local cluster and both TaskManager pools use the same string).
FILTER_SOURCE="$ROOT/deploy/k8s/flink-cluster.yaml"

TASKMANAGERS=2
SLOTS=1
REST_PORT=8081
KAFKA_PORT=9092
BIND_ADDRESS=127.0.0.1
PROMETHEUS_PORT=0

# The flags Flink's own scripts pass on Java 17 (flink-dist config.yaml env.java.opts.all).
JVM_OPENS=(
    --add-exports=java.base/sun.net.util=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/java.text=ALL-UNNAMED
    --add-opens=java.base/java.time=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

die() { echo "local-cluster: $*" >&2; exit 1; }

usage() {
    sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# Saved settings of the running cluster, so that stop/status/start-taskmanager use the same ones.
load_settings() {
    if [ -f "$DIR/settings" ]; then
        # shellcheck disable=SC1091
        . "$DIR/settings"
    fi
}

save_settings() {
    mkdir -p "$DIR"
    cat >"$DIR/settings" <<EOF
TASKMANAGERS=$TASKMANAGERS
SLOTS=$SLOTS
REST_PORT=$REST_PORT
KAFKA_PORT=$KAFKA_PORT
BIND_ADDRESS=$BIND_ADDRESS
PROMETHEUS_PORT=$PROMETHEUS_PORT
EOF
}

classpath() {
    if [ ! -f "$CP_FILE" ] || [ "$ROOT/deploy/pom.xml" -nt "$CP_FILE" ] \
        || [ ! -d "$FLINK_PLUGINS_DIR/metrics-prometheus" ]; then
        echo "local-cluster: resolving the cluster's jars (mvn -q -B -pl deploy -am package -DskipTests)..." >&2
        (cd "$ROOT" && mvn -q -B -pl deploy -am package -DskipTests >&2) \
            || die "resolving the jars failed"
        touch "$CP_FILE"
    fi
    cat "$CP_FILE"
}

write_conf() {
    mkdir -p "$CONF" "$LOGS" "$PIDS" "$DIR/tmp"
    # Flink 2 reads conf/config.yaml (standard YAML).
    cat >"$CONF/config.yaml" <<EOF
# Written by deploy/local-cluster.sh; edits are overwritten on the next start.
jobmanager:
  rpc:
    address: localhost
    port: $((REST_PORT + 42))
  bind-host: localhost
  memory:
    process:
      size: ${BIMM_JM_MEMORY:-1g}
  execution:
    failover-strategy: region
taskmanager:
  bind-host: localhost
  host: localhost
  numberOfTaskSlots: $SLOTS
  memory:
    process:
      size: ${BIMM_TM_MEMORY:-3g}
    # The training sink keeps its model in PyTorch's native memory, outside Flink's budget;
    # no operator uses managed memory (hashmap state backend).
    managed:
      fraction: 0.05
    # Direct buffers: reading and writing a model checkpoint goes through JDK I/O, which uses
    # temporary direct buffers as large as the read (85 MB for the tiny preset's optimizer file).
    # Flink's default task off-heap budget is 0, so -XX:MaxDirectMemorySize leaves no room for
    # them: a restarted training sink failed with "Cannot reserve ... direct buffer memory".
    task:
      off-heap:
        size: 512m
# Whoever reaches the REST port can submit jobs, that is run code: this machine only, unless
# --bind-address opens it. The dashboard's jar upload is off; bimm train --jobmanager submits
# over the REST job submission, which does not need it.
rest:
  address: localhost
  bind-address: $BIND_ADDRESS
  port: $REST_PORT
web:
  submit:
    enable: false
blob:
  server:
    port: $((REST_PORT + 43))
io:
  tmp:
    dirs: $DIR/tmp
# A killed TaskManager is noticed within seconds, not the default 50.
heartbeat:
  interval: 2000
  timeout: 10000
  rpc-failure-threshold: 2
# DJL's PyTorch engine and JavaCPP (FFmpeg, OpenCV) load their native libraries once per JVM.
# Flink gives every job attempt a new user-code class loader; loaded child-first from the job jar,
# their classes would try to load the same .so again in the new loader after a restart
# ("already loaded in another classloader"). They are on this cluster's classpath (lib/) and
# loaded parent-first, so a restarted job reuses the already loaded engine.
classloader:
  parent-first-patterns:
    additional:
      - ai.djl.
      - org.bytedeco.
env:
  java:
    opts:
      # jdk.nio.maxCachedBufferSize: temporary direct buffers up to 128 MiB are cached per thread
      # (one per thread: the largest it needed). At 256 KiB, the Kafka fetcher allocated and
      # zeroed a direct buffer as large as the rest of each fetch response (tens of MB) on every
      # socket read: half a core per reader.
      all: -Dai.djl.offline=true -XX:+UseG1GC -Djdk.nio.maxCachedBufferSize=134217728
metrics:
  latency:
    interval: 0
EOF
    if [ "$PROMETHEUS_PORT" != 0 ]; then
        local filter
        filter="$(prometheus_filter)"
        [ -n "$filter" ] || die "no metrics.reporter.prom.filter.includes in $FILTER_SOURCE"
        # The port is set per process (-D on its command line).
        cat >>"$CONF/config.yaml" <<EOF
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.filter.includes: "$filter"
EOF
    fi
    cat >"$CONF/log4j.properties" <<'EOF'
# Flink's standalone log4j.properties: everything to the process's own log file.
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.metricgroup.name = org.apache.flink.metrics.MetricGroup
logger.metricgroup.level = ERROR
logger.metricgroups.name = org.apache.flink.runtime.metrics.groups
logger.metricgroups.level = ERROR
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
EOF
}

# The value of metrics.reporter.prom.filter.includes in the Kubernetes manifest (a quoted string).
prometheus_filter() {
    sed -n 's/^ *metrics\.reporter\.prom\.filter\.includes: *"\(.*\)" *$/\1/p' "$FILTER_SOURCE" | head -n 1
}

# -D metrics.reporter.prom.port=P for a process, or nothing without --prometheus-port.
prometheus_port_arg() { # offset
    if [ "$PROMETHEUS_PORT" != 0 ]; then
        echo "-D metrics.reporter.prom.port=$((PROMETHEUS_PORT + $1))"
    fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Flink's scripts ask BashJavaUtils for a process's JVM memory flags and derived memory options.
resource_params() { # GET_JM_RESOURCE_PARAMS | GET_TM_RESOURCE_PARAMS -> two lines
    java -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$CONF" \
        2>"$LOGS/bash-java-utils.err" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' | tail -n 2
}

start_jobmanager() {
    if alive "$PIDS/jobmanager.pid"; then
        echo "jobmanager already running (pid $(cat "$PIDS/jobmanager.pid"))"
        return
    fi
    local params jvm dyn
    params="$(resource_params GET_JM_RESOURCE_PARAMS)"
    jvm="$(sed -n 1p <<<"$params")"
    dyn="$(sed -n 2p <<<"$params")"
    # shellcheck disable=SC2086
    nohup java "${JVM_OPENS[@]}" $jvm -Dai.djl.offline=true \
        -Dlog.file="$LOGS/jobmanager.log" -Dlog4j.configurationFile="file:$CONF/log4j.properties" \
        -cp "$CP" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
        --configDir "$CONF" $dyn $(prometheus_port_arg 0) >"$LOGS/jobmanager.out" 2>&1 &
    echo $! >"$PIDS/jobmanager.pid"
    echo "jobmanager pid $! log $LOGS/jobmanager.log"
}

start_taskmanager() { # index
    local i="$1" pidf="$PIDS/taskmanager-$1.pid"
    if alive "$pidf"; then
        echo "taskmanager-$i already running (pid $(cat "$pidf"))"
        return
    fi
    local params jvm dyn
    params="$(resource_params GET_TM_RESOURCE_PARAMS)"
    jvm="$(sed -n 1p <<<"$params")"
    dyn="$(sed -n 2p <<<"$params")"
    # shellcheck disable=SC2086
    # shellcheck disable=SC2086 # BIMM_TM_JAVA_OPTS: extra JVM flags, word-split on purpose
    nohup java "${JVM_OPENS[@]}" $jvm -Dai.djl.offline=true -XX:+UseG1GC \
        -Djdk.nio.maxCachedBufferSize=134217728 ${BIMM_TM_JAVA_OPTS:-} -Dlog.file="$LOGS/taskmanager-$i.log" \
        -Dlog4j.configurationFile="file:$CONF/log4j.properties" \
        -cp "$CP" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
        --configDir "$CONF" -D taskmanager.resource-id="tm-$i" $dyn $(prometheus_port_arg "$i") \
        >"$LOGS/taskmanager-$i.out" 2>&1 &
    echo $! >"$pidf"
    echo "taskmanager-$i pid $! log $LOGS/taskmanager-$i.log"
}

start_kafka() {
    if alive "$PIDS/kafka.pid"; then
        echo "kafka already running (pid $(cat "$PIDS/kafka.pid"))"
        return
    fi
    mkdir -p "$LOGS" "$PIDS"
    nohup "$ROOT/bimm" kafka --port "$KAFKA_PORT" --data-dir "$DIR/kafka" \
        >"$LOGS/kafka.log" 2>&1 &
    echo $! >"$PIDS/kafka.pid"
    local t=0
    until grep -q '^bootstrap=' "$LOGS/kafka.log" 2>/dev/null; do
        alive "$PIDS/kafka.pid" || die "the Kafka broker exited; see $LOGS/kafka.log"
        t=$((t + 1))
        [ $t -gt 120 ] && die "the Kafka broker did not start in 120 s; see $LOGS/kafka.log"
        sleep 1
    done
    echo "kafka pid $(cat "$PIDS/kafka.pid") bootstrap=localhost:$KAFKA_PORT log $LOGS/kafka.log"
}

stop_pid() { # pidfile name [signal]
    local pidf="$1" name="$2" sig="${3:-TERM}"
    if alive "$pidf"; then
        local pid
        pid="$(cat "$pidf")"
        kill -s "$sig" "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        echo "stopped $name (pid $pid)"
    fi
    rm -f "$pidf"
}

registered_taskmanagers() {
    curl -sf "http://localhost:$REST_PORT/taskmanagers" 2>/dev/null \
        | grep -o '"id":"[^"]*"' | wc -l || true
}

wait_for_cluster() { # expected taskmanagers
    local want="$1" t=0
    until [ "$(registered_taskmanagers)" -ge "$want" ]; do
        t=$((t + 1))
        [ $t -gt 300 ] && die "only $(registered_taskmanagers) of $want TaskManagers registered in 300 s; see $LOGS"
        sleep 1
    done
}

cmd_start() {
    write_conf
    save_settings
    CP="$(classpath)"
    start_kafka
    start_jobmanager
    for i in $(seq 1 "$TASKMANAGERS"); do
        start_taskmanager "$i"
    done
    wait_for_cluster "$TASKMANAGERS"
    if [ "$PROMETHEUS_PORT" != 0 ]; then
        echo "prometheus: jobmanager http://localhost:$PROMETHEUS_PORT/metrics, taskmanager-I on port $PROMETHEUS_PORT+I (all interfaces)"
    fi
    echo "cluster up: $TASKMANAGERS TaskManagers x $SLOTS slots; dashboard http://localhost:$REST_PORT" \
        "(listening on $BIND_ADDRESS);" \
        "submit with ./bimm train --jobmanager localhost:$REST_PORT --bootstrap localhost:$KAFKA_PORT"
}

cmd_stop() {
    shopt -s nullglob
    for f in "$PIDS"/taskmanager-*.pid; do
        stop_pid "$f" "$(basename "$f" .pid)"
    done
    stop_pid "$PIDS/jobmanager.pid" jobmanager
    stop_pid "$PIDS/kafka.pid" kafka
}

cmd_status() {
    shopt -s nullglob
    local any=0
    for f in "$PIDS"/kafka.pid "$PIDS"/jobmanager.pid "$PIDS"/taskmanager-*.pid; do
        any=1
        if alive "$f"; then
            echo "$(basename "$f" .pid) running pid $(cat "$f")"
        else
            echo "$(basename "$f" .pid) not running"
        fi
    done
    [ $any = 1 ] || echo "no cluster under $DIR"
    if curl -sf "http://localhost:$REST_PORT/overview" >/dev/null 2>&1; then
        echo "rest http://localhost:$REST_PORT $(curl -sf "http://localhost:$REST_PORT/overview")"
    fi
}

CMD="${1:-}"
[ -n "$CMD" ] || { usage; exit 2; }
shift
load_settings
ARG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --taskmanagers) TASKMANAGERS="$2"; shift 2 ;;
        --slots) SLOTS="$2"; shift 2 ;;
        --rest-port) REST_PORT="$2"; shift 2 ;;
        --kafka-port) KAFKA_PORT="$2"; shift 2 ;;
        --bind-address) BIND_ADDRESS="$2"; shift 2 ;;
        --prometheus-port) PROMETHEUS_PORT="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) ARG="$1"; shift ;;
    esac
done

case "$CMD" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    start-taskmanager)
        [ -n "$ARG" ] || die "start-taskmanager needs an index"
        CP="$(classpath)"
        start_taskmanager "$ARG" ;;
    kill-taskmanager)
        [ -n "$ARG" ] || die "kill-taskmanager needs an index"
        f="$PIDS/taskmanager-$ARG.pid"
        alive "$f" || die "taskmanager-$ARG is not running"
        kill -9 "$(cat "$f")"
        echo "killed -9 taskmanager-$ARG (pid $(cat "$f"))"
        rm -f "$f" ;;
    start-kafka) start_kafka ;;
    stop-kafka) stop_pid "$PIDS/kafka.pid" kafka ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
