#!/usr/bin/env bash
# A throwaway PostgreSQL server for the benchmarks (run-all.sh --only postgres): a fresh
# cluster (initdb) in a folder of its own, trust authentication, listening on a free loopback
# port, fsync on and synchronous_commit at its default (on). The newest server under
# /usr/lib/postgresql/*/bin. initdb and postgres refuse to run as root: as root they run as
# `nobody` (setpriv), which then owns the folder. (tests/pgcluster.cpp does the same for the
# tests.)
#
#   pg-cluster.sh start DIR        creates DIR (missing or empty; its parent must let `nobody`
#                                  through, e.g. /tmp), starts the server, prints its port
#   pg-cluster.sh stop DIR         stops the server (fast, killed if that fails), removes DIR
#   pg-cluster.sh pid DIR          prints the postmaster's process id
#   pg-cluster.sh psql DIR ARGS... psql as the superuser over TCP (-X -A -t, stops at the
#                                  first error), e.g. pg-cluster.sh psql DIR -d NAME -c 'SQL'
#
# The superuser is hookscope_admin. Exits 77 when no server is installed or, as root, when
# there is no `nobody` or no setpriv to run it as.
set -euo pipefail

superuser=hookscope_admin

fail() {
    echo "pg-cluster.sh: $*" >&2
    exit 1
}

[ $# -ge 2 ] || fail "usage: pg-cluster.sh start|stop|pid|psql DIR [ARGS...]"
action="$1" dir="$2"
shift 2
data="$dir/data" log="$dir/server.log"

# None of the caller's PG* settings (PGHOST, PGDATA, PGUSER...) may redirect the tools;
# English messages keep errors readable.
for name in $(compgen -e PG || true); do
    unset "$name"
done
unset LC_ALL
export LC_MESSAGES=C PGCONNECT_TIMEOUT=10

bin_dir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ] || [ ! -x "$dir/pg_ctl" ]; then
        echo "pg-cluster.sh: no PostgreSQL server under /usr/lib/postgresql/*/bin (install postgresql)" >&2
        exit 77
    fi
    echo "$dir"
}

# Runs a server tool, as `nobody` when root, in DIR (a working directory it may read).
as_server() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$dir" && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@" </dev/null)
    else
        (cd "$dir" && "$@" </dev/null)
    fi
}

postmaster_pid() {
    [ -f "$data/postmaster.pid" ] && head -n 1 "$data/postmaster.pid"
}

# Below the kernel's ephemeral range, like run-all.sh's own servers.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port found"
}

start() {
    local bin port options from
    bin="$(bin_dir)"
    if [ "$(id -u)" = 0 ]; then
        id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null ||
            { echo "pg-cluster.sh: running as root, but there is no nobody:nogroup to run the server as" >&2; exit 77; }
        command -v setpriv >/dev/null ||
            { echo "pg-cluster.sh: running as root, but there is no setpriv to run the server as nobody" >&2; exit 77; }
    fi
    [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || fail "$dir is not empty"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
    if ! as_server "$bin/initdb" -D "$data" -U "$superuser" --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
        # Without the C.UTF-8 locale (older C libraries), the plain C locale does as well.
        rm -rf "$data"
        as_server "$bin/initdb" -D "$data" -U "$superuser" --auth=trust -E UTF8 \
            --no-locale >>"$dir/initdb.log" 2>&1 || fail "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    fi
    # A port another program takes between the check and the bind: started again on another.
    for _ in 1 2 3; do
        port="$(free_port)"
        from="$(stat -c %s "$log" 2>/dev/null || echo 0)"
        options="-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100"
        if as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "$options" start \
            >>"$dir/pg_ctl.log" 2>&1; then
            echo "$port"
            return
        fi
        # A start that timed out may still come up later: take it down now.
        [ -f "$data/postmaster.pid" ] && stop_server immediate
        tail -c +"$((from + 1))" "$log" 2>/dev/null | grep -q 'could not bind' || break
    done
    fail "the server does not start: $(tail -n 5 "$dir/pg_ctl.log" "$log" 2>/dev/null | tr '\n' ' ')"
}

stop_server() {
    local mode="$1" pid
    pid="$(postmaster_pid || true)"
    [ -n "$pid" ] || return 0
    if ! as_server "$(bin_dir)/pg_ctl" -D "$data" -m "$mode" -w -t 60 stop >>"$dir/pg_ctl.log" 2>&1 &&
        kill -0 "$pid" 2>/dev/null; then
        # pg_ctl failed or hung: no server may outlive the benchmark.
        echo "pg-cluster.sh: pg_ctl stop failed; killing the server (pid $pid)" >&2
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 200); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    fi
}

case "$action" in
start) start ;;
stop)
    [ -d "$dir" ] || exit 0
    stop_server fast
    rm -rf "$dir"
    ;;
pid) postmaster_pid || fail "no server running in $dir" ;;
psql)
    port="$(sed -n 4p "$data/postmaster.pid" 2>/dev/null)"
    [ -n "$port" ] || fail "no server running in $dir"
    # A client: fine as root, and over TCP it needs no access to the socket folder.
    "$(bin_dir)/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$superuser" "$@"
    ;;
*) fail "unknown action '$action' (start, stop, pid, psql)" ;;
esac
