# deploy/lib.sh: functions shared by deploy/fault-test.sh and deploy/load-test.sh (sourced, not
# run). The caller sets REST (the cluster's REST port) before calling rest.

log() { echo "[$(date +%T)] $*"; }

rest() { curl -sf "http://localhost:$REST$1"; }

json() { # python expression on d (the parsed JSON from stdin); prints "" on any error
    python3 -c "import json,sys
try:
    d=json.load(sys.stdin); print($1)
except Exception:
    print('')"
}

# Waits until `bimm train` (pid $1) has printed "job <id> running" into $2 and prints the id;
# returns 1 if the process ended first or after 300 s.
await_job_id() { # train_pid train_out
    local jid=""
    for _ in $(seq 1 300); do
        jid="$(sed -n 's/^job \([0-9a-f]*\) running$/\1/p' "$2")"
        [ -n "$jid" ] && break
        kill -0 "$1" 2>/dev/null || break
        sleep 1
    done
    [ -n "$jid" ] && echo "$jid"
}
