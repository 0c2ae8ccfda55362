#!/usr/bin/env bash
# HookScope's benchmarks, side by side on this machine in one run, and a table of the medians
# (docs/benchmarks.md says what each one does).
#
#   tests/bench/run-all.sh            builds the release preset, then runs every benchmark
#                                     several times and prints the medians
#   tests/bench/run-all.sh --quick    tiny counts, one run each: checks that the benchmarks
#                                     work (the ctest smoke); its figures mean nothing
#
# Options:
#   --build-dir DIR     use the binaries built in DIR (no build)
#   --only LIST         some of: ingest,latency,catchup,scale,schemas,decode,startup,live,
#                       postgres (comma-separated)
#   --runs N            runs of each benchmark (default 3, --quick 1)
#   --scale-db FILE     keep the scale benchmark's database there (generated when missing)
#   --markdown FILE     also write the table as Markdown
# HOOKSCOPE_BENCH_QUICK=1 in the environment is the same as --quick.
#
# Needs wrk, nginx (nginx-light), webhook, hyperfine, sqlite3, curl and openssl, and for
# postgres a PostgreSQL server (postgresql; run as nobody through setpriv when root); exits
# with 77 (a skipped test for ctest) when one is missing. It measures and asserts no time; it
# fails when a benchmark does not work: a server that does not start or does not survive, a
# 2xx answer without its row in the database, a peer refusing correctly signed deliveries.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

quick="${HOOKSCOPE_BENCH_QUICK:-0}"
build_dir=""
only="ingest,latency,catchup,scale,schemas,decode,startup,live,postgres"
runs=""
scale_db=""
markdown=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --build-dir) build_dir="$2"; shift ;;
    --only) only="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --scale-db) scale_db="$2"; shift ;;
    --markdown) markdown="$2"; shift ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    runs="${runs:-1}"
    ingest_seconds=1 ingest_pool=4000
    latency_rate=200 latency_seconds=2
    catchup_rate=500 catchup_seconds=2
    scale_count=2000
    schemas_count=5000
    decode_mb=0.5
    startup_runs=1 version_runs=3
    live_args="--seconds 1 --rates 50,200 --burst 500 --arrivals 2000"
else
    runs="${runs:-3}"
    ingest_seconds=10 ingest_pool=200000
    latency_rate=1000 latency_seconds=30
    catchup_rate=10000 catchup_seconds=10
    scale_count=1000000
    schemas_count=1000000
    decode_mb=10
    startup_runs=5 version_runs=30
    live_args="--seconds 20 --rates 50,1000 --burst 10000 --arrivals 200000"
fi
depth=100000
secret="bench-secret"
wrk_threads=2 wrk_connections=32

missing=()
for tool in wrk nginx webhook hyperfine sqlite3 curl openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [[ ",$only," == *",postgres,"* ]]; then
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=("postgresql")
    command -v pgrep >/dev/null 2>&1 || missing+=("pgrep")
    [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null 2>&1 || missing+=("setpriv")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "run-all.sh: missing ${missing[*]} (.ci/bootstrap installs them)" >&2
    exit 77
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

if [ -z "$build_dir" ]; then
    echo "Building the release preset..."
    (cd "$root" && cmake --preset release >/dev/null &&
        cmake --build --preset release --parallel "$(nproc)" >/dev/null)
    build_dir="$root/build/release"
fi
hookscope="$build_dir/app/hookscope"
bench="$build_dir/tests/bench"
for binary in "$hookscope" "$bench/bench_load" "$bench/bench_bare_server" "$bench/bench_decode" \
    "$bench/bench_startup" "$bench/bench_gui_scale" "$bench/bench_live_flow" "$bench/bench_schemas"; do
    [ -x "$binary" ] || { echo "run-all.sh: $binary is not built" >&2; exit 1; }
done

export QT_QPA_PLATFORM=offscreen
# The throwaway endpoints keep their secret in their throwaway database, not in a keychain.
export HOOKSCOPE_SECRET_STORAGE=database
work="$(mktemp -d "${TMPDIR:-/tmp}/hookscope-bench.XXXXXX")"
results="$work/results"
: >"$results"
servers=()
loaders=()
# The postgres section's throwaway PostgreSQL server (tests/bench/pg-cluster.sh).
pg_dir=""

cleanup() {
    local pid
    for pid in "${servers[@]}" "${loaders[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${servers[@]}" "${loaders[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # After the serve processes writing to it.
    if [ -n "$pg_dir" ]; then
        "$here/pg-cluster.sh" stop "$pg_dir" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "run-all.sh: $*" >&2
    exit 1
}

wants() {
    [[ ",$only," == *",$1,"* ]]
}

# --- results: "key value" lines; the table shows the median of each key ---

add() {
    echo "$1 $2" >>"$results"
}

values() {
    awk -v key="$1" '$1 == key { printf "%s ", $2 }' "$results"
}

count() {
    awk -v key="$1" '$1 == key { n++ } END { print n + 0 }' "$results"
}

median() {
    awk -v key="$1" '$1 == key { print $2 }' "$results" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Reads "name: value unit" lines of a benchmark program into the results, keys prefixed.
collect() {
    local prefix="$1" file="$2"
    awk -v prefix="$prefix" '/^[a-z0-9_]+: -?[0-9.]+( |$)/ {
        sub(":", "", $1); print prefix $1, $2 }' "$file" >>"$results"
}

# --- servers ---

free_port() {
    local port
    for _ in $(seq 100); do
        # Below the kernel's ephemeral range (32768 and up), where other programs' own
        # listeners on port 0 and outgoing connections take theirs.
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port found"
}

# Waits until `pid` accepts connections on `port`: returns 1 when it exits first, 2 when it
# does not listen within 10 s.
listening() {
    local pid="$1" port="$2"
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# Waits for "listening on http://127.0.0.1:PORT" in `file`; prints PORT.
announced_port() {
    local pid="$1" file="$2" what="$3" port=""
    for _ in $(seq 200); do
        port="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$file" 2>/dev/null)"
        [ -n "$port" ] && { echo "$port"; return; }
        kill -0 "$pid" 2>/dev/null || fail "$what exited at start: $(cat "$file" "$file.err" 2>/dev/null)"
        sleep 0.05
    done
    fail "$what did not say where it listens"
}

server_pid="" server_port=""

# Each measurement starts with the disk idle: what earlier runs left to write back would
# otherwise be flushed along with the next commits and lengthen them.
settle() {
    sync
}

# A database with the HostedHooks endpoint /hooks/hh and its secret.
# Removes the database at `db` with its log and its text index.
remove_database() {
    rm -f "$1" "$1-wal" "$1-shm" "$1-search" "$1-search-wal" "$1-search-shm"
}

new_database() {
    local db="$1"
    HH_SECRET="$secret" "$hookscope" endpoint add hh --path /hooks/hh --scheme hostedhooks \
        --secret-env HH_SECRET --db "$db" >/dev/null
}

start_hookscope() {
    local db="$1" log="$2"
    # --stats: on stopping, the server's own per-stage table goes to "$log.err".
    "$hookscope" serve --db "$db" --listen 127.0.0.1:0 --stats >"$log" 2>"$log.err" &
    server_pid=$!
    servers+=("$server_pid")
    server_port="$(announced_port "$server_pid" "$log" "hookscope serve")"
}

start_bare() {
    "$bench/bench_bare_server" --port 0 >"$work/bare.log" 2>&1 &
    server_pid=$!
    servers+=("$server_pid")
    server_port="$(announced_port "$server_pid" "$work/bare.log" "bench_bare_server")"
}

# Starts a peer with `launch` (which sets server_pid and server_port) on a free port. A port
# another program takes between the check and the bind makes the peer exit at once: it is
# started again on another.
start_on_free_port() {
    local launch="$1" what="$2" log="$3"
    for _ in 1 2 3 4 5; do
        "$launch"
        if listening "$server_pid" "$server_port"; then
            return
        fi
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    done
    fail "$what does not start: $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"
}

start_nginx() {
    start_on_free_port launch_nginx nginx "$work/nginx/error.log"
}

start_webhook() {
    start_on_free_port launch_webhook webhook "$work/webhook/out.log"
}

launch_nginx() {
    local dir="$work/nginx"
    mkdir -p "$dir"
    server_port="$(free_port)"
    # One worker, like HookScope's one listener thread; keep-alive without a request limit.
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$server_port;
        location / { return 200 '{"stored":false}\n'; }
    }
}
EOF
    "$nginx_bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
    server_pid=$!
    servers+=("$server_pid")
}

launch_webhook() {
    local dir="$work/webhook"
    mkdir -p "$dir"
    server_port="$(free_port)"
    # /hooks/hh: runs /bin/true for a delivery whose X-Hub-Signature-256 (sha256=HMAC-SHA256
    # of the body) verifies; 401 for any other.
    cat >"$dir/hooks.json" <<EOF
[
  {
    "id": "hh",
    "execute-command": "/bin/true",
    "response-message": "ok",
    "trigger-rule-mismatch-http-response-code": 401,
    "trigger-rule": {
      "match": {
        "type": "payload-hmac-sha256",
        "secret": "$secret",
        "parameter": { "source": "header", "name": "X-Hub-Signature-256" }
      }
    }
  }
]
EOF
    webhook -hooks "$dir/hooks.json" -ip 127.0.0.1 -port "$server_port" >"$dir/out.log" 2>&1 &
    server_pid=$!
    servers+=("$server_pid")
}

# Stops the server started last; SIGTERM lets hookscope serve answer what it owes and close
# its database.
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    local kept=()
    local pid
    for pid in "${servers[@]}"; do
        [ "$pid" != "$server_pid" ] && kept+=("$pid")
    done
    servers=("${kept[@]+"${kept[@]}"}")
    server_pid=""
}

# --- 1. ingest ---

wrk_field() {
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# CPU time (user + system, in clock ticks) the process `pid` has used so far.
cpu_ticks() {
    # The fields after the command name, which is in parentheses and may hold spaces.
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Loads the server on $server_port with wrk; records rate, p50, p99 and the server's CPU time
# per answered request under `name`.
load_with_wrk() {
    local name="$1" run="$2" out="$work/wrk-$1-$2.txt" ticks_before ticks_after
    ticks_before="$(cpu_ticks "$server_pid")"
    wrk -t "$wrk_threads" -c "$wrk_connections" -d "${ingest_seconds}s" --timeout 10s \
        -s "$here/ingest.lua" "http://127.0.0.1:$server_port" -- "$work/requests" >"$out" 2>&1 ||
        fail "wrk failed against $name: $(cat "$out")"
    wrk_result="$(grep '^RESULT ' "$out")" || fail "wrk printed no result for $name: $(cat "$out")"
    add "ingest_${name}_rate" "$(wrk_field rate "$wrk_result")"
    add "ingest_${name}_p50_ms" "$(wrk_field p50_ms "$wrk_result")"
    add "ingest_${name}_p99_ms" "$(wrk_field p99_ms "$wrk_result")"
    [ "$(wrk_field ok "$wrk_result")" -gt 0 ] || fail "$name answered no request with 2xx"
    # Of the one process that does the work (nginx's workers and webhook's commands are other
    # processes than the one started).
    case "$name" in
    bare | hookscope)
        ticks_after="$(cpu_ticks "$server_pid")"
        add "ingest_${name}_cpu_us" "$(awk -v t="$((ticks_after - ticks_before))" \
            -v hz="$(getconf CLK_TCK)" -v n="$(wrk_field ok "$wrk_result")" \
            'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
        ;;
    esac
}

run_ingest() {
    echo "Ingest: wrk, $wrk_threads threads, $wrk_connections connections, ${ingest_seconds} s, $runs round(s)"
    local run db ok other sent rows valid
    for run in $(seq "$runs"); do
        # Signed afresh each round: the timestamps stay well within the 300 s tolerance.
        "$bench/bench_load" write --out "$work/requests" --count "$ingest_pool" \
            --threads "$wrk_threads" --secret "$secret"

        settle
        start_bare
        load_with_wrk bare "$run"
        stop_server
        [ "$(wrk_field other "$wrk_result")" = 0 ] || fail "the bare server answered non-2xx"

        settle
        start_nginx
        load_with_wrk nginx "$run"
        stop_server
        [ "$(wrk_field other "$wrk_result")" = 0 ] || fail "nginx answered non-2xx"

        settle
        start_webhook
        load_with_wrk webhook "$run"
        stop_server
        [ "$(wrk_field other "$wrk_result")" = 0 ] ||
            fail "webhook refused $(wrk_field other "$wrk_result") correctly signed deliveries"

        db="$work/ingest-$run.db"
        new_database "$db"
        settle
        start_hookscope "$db" "$work/serve-ingest-$run.log"
        load_with_wrk hookscope "$run"
        stop_server
        ok="$(wrk_field ok "$wrk_result")"
        other="$(wrk_field other "$wrk_result")"
        sent="$(wrk_field sent "$wrk_result")"
        rows="$(sqlite3 "$db" "SELECT count(*) FROM deliveries")"
        valid="$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE verdict = 'valid' AND response_status = 200")"
        # Every 2xx answer has its row. A few more rows than answers are the requests wrk
        # had sent when it stopped and whose answers it no longer read.
        [ "$other" = 0 ] || fail "hookscope answered $other deliveries with other than 2xx"
        [ "$valid" = "$rows" ] || fail "hookscope stored $((rows - valid)) rows not valid or not 200"
        [ "$rows" -ge "$ok" ] || fail "hookscope answered $ok with 2xx but has $rows rows"
        [ "$rows" -le "$sent" ] || fail "hookscope has $rows rows for $sent requests sent"
        add ingest_hookscope_2xx "$ok"
        add ingest_hookscope_rows "$rows"
        add ingest_hookscope_in_flight "$((rows - ok))"
        remove_database "$db"
        # The server's per-stage table of the last round (serve --stats).
        stage_table="$(sed -n '/deliveries stored in/,$p' "$work/serve-ingest-$run.log.err")"
        # The CPU time learning event schemas and their drift took, per delivery.
        add ingest_schemas_cpu_us "$(awk '/^schemas:/ { print $NF }' <<<"$stage_table")"
        echo "  round $run: hookscope $(wrk_field rate "$wrk_result")/s, $ok answered 2xx, $rows rows ($((rows - ok)) in flight when wrk stopped)"
    done
}

# --- 2. latency at a steady rate ---

# Starts hookscope serve on a new database at `db`, logging to `log`.
serve_fresh() {
    new_database "$1"
    settle
    start_hookscope "$1" "$2"
}

# Sends signed deliveries to the server at `rate` a second for `seconds` over `connections`
# keep-alive connections, open loop; its figures go to `out`.
paced_load() {
    "$bench/bench_load" paced --port "$server_port" --rate "$1" --seconds "$2" \
        --connections "$3" --secret "$secret" >"$4" || fail "the paced load failed: $(cat "$4")"
}

run_latency() {
    echo "Latency: $latency_rate deliveries/s for $latency_seconds s, open loop, $runs run(s)"
    local run db out rows
    for run in $(seq "$runs"); do
        db="$work/latency-$run.db"
        out="$work/paced-$run.txt"
        serve_fresh "$db" "$work/serve-latency-$run.log"
        paced_load "$latency_rate" "$latency_seconds" 8 "$out"
        stop_server
        collect latency_ "$out"
        rows="$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE response_status = 200")"
        add latency_rows "$rows"
        remove_database "$db"
        [ "$rows" = "$(awk '$1 == "paced_answered_2xx:" { print int($2) }' "$out")" ] ||
            fail "latency run $run: 2xx answers and rows differ"
    done
}

# --- 2b. the text index and the subscriber mapping catching up ---

# They are made after the commit, on a thread of their own; catchup.py watches their
# watermarks from outside while a paced load runs, and after it ends.
run_catchup() {
    echo "Catch-up: $catchup_rate deliveries/s for $catchup_seconds s, index and mapping lag, $runs run(s)"
    local run db out sampler
    for run in $(seq "$runs"); do
        db="$work/catchup-$run.db"
        out="$work/catchup-$run.txt"
        serve_fresh "$db" "$work/serve-catchup-$run.log"
        rm -f "$work/catchup-stop"
        python3 "$here/catchup.py" "$db" "$work/catchup-stop" >"$out.lag" 2>&1 &
        sampler=$!
        paced_load "$catchup_rate" "$catchup_seconds" "$wrk_connections" "$out"
        touch "$work/catchup-stop"
        wait "$sampler" || fail "catchup.py failed: $(cat "$out.lag")"
        stop_server
        collect catchup_ "$out"
        collect catchup_ "$out.lag"
        remove_database "$db"
    done
}

# --- 3. scale ---

run_scale() {
    local db="${scale_db:-$work/scale.db}" run out
    echo "Scale: $scale_count deliveries (generated when $db is missing), $runs run(s)"
    for run in $(seq "$runs"); do
        out="$work/scale-$run.txt"
        settle
        "$bench/bench_gui_scale" --count "$scale_count" --db "$db" --load-seconds 0 >"$out" 2>&1 ||
            fail "bench_gui_scale failed: $(tail -5 "$out")"
        collect scale_ "$out"
    done
}

# --- 3b. event schemas ---

run_schemas() {
    local db="$work/schemas.db" run out
    echo "Schemas: $schemas_count deliveries of 20 event types, learned from nothing, $runs run(s)"
    for run in $(seq "$runs"); do
        out="$work/schemas-$run.txt"
        settle
        "$bench/bench_schemas" --count "$schemas_count" --db "$db" >"$out" 2>&1 ||
            fail "bench_schemas failed: $(tail -5 "$out")"
        collect schemas_ "$out"
    done
    remove_database "$db"
}

# --- 4. decode ---

sign_file() {
    local t="$1" file="$2"
    { printf '%s.' "$t"; cat "$file"; } | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= //'
}

# Posts `file` to /hooks/hh with the given signature header; prints "STATUS SECONDS ID".
post_delivery() {
    local file="$1" signature="$2" headers="$work/post-headers"
    local answer
    answer="$(curl -sS -o /dev/null -D "$headers" -w '%{http_code} %{time_total}' \
        -H 'Content-Type: application/json' -H "HostedHooks-Signature: $signature" \
        --data-binary "@$file" "http://127.0.0.1:$server_port/hooks/hh")" || answer="0 0"
    echo "$answer $(sed -n 's/^X-HookScope-Delivery: *\([0-9]*\).*/\1/ip' "$headers" | tr -d '\r')"
}

run_decode() {
    echo "Decode: a ${decode_mb} MB body and one nested $depth levels deep, $runs run(s)"
    local out="$work/decode.txt"
    settle
    "$bench/bench_decode" --size-mb "$decode_mb" --depth "$depth" --runs "$runs" >"$out" 2>&1 ||
        fail "bench_decode failed: $(tail -5 "$out")"
    collect decode_ "$out"
    deep_outcome="$(sed -n 's/^deep_decode_outcome: //p' "$out")"
    deep_pane_outcome="$(sed -n 's/^deep_detail_pane_outcome: //p' "$out")"

    # The same bodies over HTTP, to hookscope serve.
    local db="$work/decode.db" large="$work/large.json" deep="$work/deep.json" t answer run
    "$bench/bench_decode" --size-mb "$decode_mb" --write-body "$large"
    {
        printf '{"event_type":"deep.nesting","event_id":"evt_deep_http","data":'
        head -c "$depth" /dev/zero | tr '\0' '['
        head -c "$depth" /dev/zero | tr '\0' ']'
        printf '}'
    } >"$deep"
    new_database "$db"
    start_hookscope "$db" "$work/serve-decode.log"
    for run in $(seq "$runs"); do
        t="$(date +%s)"
        answer="$(post_delivery "$large" "t=$t,s=$(sign_file "$t" "$large")")"
        [ "${answer%% *}" = 200 ] || fail "the large body was answered ${answer%% *}"
        add decode_http_large_ms "$(awk '{ print $2 * 1000 }' <<<"$answer")"
    done
    t="$(date +%s)"
    answer="$(post_delivery "$deep" "t=$t,s=$(sign_file "$t" "$deep")")"
    deep_http="${answer%% *}"
    local deep_id="${answer##* }"
    answer="$(post_delivery "$deep" "t=$t,s=$(printf '0%.0s' $(seq 64))")"
    deep_http="$deep_http, wrongly signed ${answer%% *}"
    kill -0 "$server_pid" 2>/dev/null || fail "hookscope serve died on the deeply nested body"
    t="$(date +%s)"
    printf '{"event_type":"ping","event_id":"evt_after_deep"}' >"$work/ping.json"
    answer="$(post_delivery "$work/ping.json" "t=$t,s=$(sign_file "$t" "$work/ping.json")")"
    [ "${answer%% *}" = 200 ] || fail "hookscope serve does not answer after the deep body"
    deep_http="$deep_http; next delivery ${answer%% *}"
    stop_server
    [ -n "$deep_id" ] || fail "the deeply nested delivery was not stored"
    "$hookscope" show "$deep_id" --json --db "$db" >"$work/deep-show.json" 2>&1 ||
        fail "hookscope show failed on the deeply nested delivery"
    deep_show="$(grep -m1 -o '"body_error": *"[^"]*"' "$work/deep-show.json" || true)"
    deep_show="$deep_show $(grep -m1 -o '"verdict": *"[^"]*"' "$work/deep-show.json" || true)"
}

# --- 5. startup ---

run_startup() {
    echo "Startup: hookscope --version ($version_runs runs), the window ($startup_runs runs a round)"
    settle
    hyperfine -N --warmup 3 --runs "$version_runs" --export-csv "$work/version.csv" \
        "$hookscope --version" >/dev/null 2>&1 || fail "hyperfine failed"
    # command,mean,stddev,median,user,system,min,max (seconds)
    add startup_version_ms "$(awk -F, 'NR == 2 { print $4 * 1000 }' "$work/version.csv")"
    version_runs_done="$version_runs"
    local run out
    for run in $(seq "$runs"); do
        out="$work/startup-$run.txt"
        "$bench/bench_startup" --runs "$startup_runs" >"$out" 2>&1 ||
            fail "bench_startup failed: $(tail -5 "$out")"
        collect startup_ "$out"
    done
}

# --- 6. live flow ---

run_live() {
    echo "Live flow: the window receiving deliveries ($live_args)"
    local run out
    for run in $(seq "$runs"); do
        settle
        out="$work/live-$run.txt"
        "$bench/bench_live_flow" $live_args >"$out" 2>&1 ||
            fail "bench_live_flow failed: $(tail -5 "$out")"
        collect live_ "$out"
    done
}

# --- 7. the team store on PostgreSQL ---

# hookscope serve writing to a team database (serve --db postgresql://...) on a throwaway
# PostgreSQL server of its own (pg-cluster.sh: fsync on, synchronous_commit on), one serve and
# two on the same database, under the ingest round's wrk load; and serve on SQLite in the same
# round, so that the ratios come from one run.
pg_port="" pg_version="" pg_lost="" pg_stage_table=""
serve_pids=() serve_ports=() serve_logs=()
load_ok=0 load_other=0 load_sent=0 load_errors=0

pg_sql() {
    "$here/pg-cluster.sh" psql "$pg_dir" "$@"
}

# CPU time (user + system, in clock ticks) the PostgreSQL server has used so far: the
# postmaster, its children now running (a backend a connection, the writers, autovacuum),
# and the children it has reaped (its cutime and cstime), so that a process ending between two
# readings is still counted.
pg_cpu_ticks() {
    local postmaster total child ticks
    postmaster="$("$here/pg-cluster.sh" pid "$pg_dir")"
    total="$(sed 's/.*) //' "/proc/$postmaster/stat" | awk '{ print $12 + $13 + $14 + $15 }')"
    for child in $(pgrep -P "$postmaster"); do
        ticks="$(cpu_ticks "$child" 2>/dev/null)" || ticks=0
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}

# A team database `name` on the server: `db init` with the receiver login hookscope_bench, and
# the endpoint hh with the ingest round's secret, which stays in this machine's own file under
# `xdg` (the XDG_DATA_HOME of the serve processes). Prints the receiver's location.
pg_database() {
    local name="$1" xdg="$2" admin="postgresql://hookscope_admin@127.0.0.1:$pg_port/$1"
    local log="$work/pg-setup-$1.log"
    pg_sql -d postgres -c "CREATE DATABASE $name" >"$log" 2>&1 ||
        fail "cannot create the database $name: $(cat "$log")"
    "$hookscope" db init "$admin" --receiver hookscope_bench >>"$log" 2>&1 ||
        fail "hookscope db init failed: $(cat "$log")"
    mkdir -p "$xdg"
    HH_SECRET="$secret" XDG_DATA_HOME="$xdg" "$hookscope" endpoint add hh --path /hooks/hh \
        --scheme hostedhooks --secret-env HH_SECRET --db "$admin" >>"$log" 2>&1 ||
        fail "hookscope endpoint add failed on $name: $(cat "$log")"
    echo "postgresql://hookscope_bench@127.0.0.1:$pg_port/$name"
}

# As settle, with the server's own dirty pages written out first.
pg_settle() {
    pg_sql -d postgres -c "CHECKPOINT" >/dev/null || fail "CHECKPOINT failed"
    sync
}

# Starts `count` serve processes on the team database at `url`, each on a port of its own,
# with their secrets under `xdg`.
start_team_serves() {
    local count="$1" url="$2" xdg="$3" log="$4" i
    serve_pids=() serve_ports=()
    for i in $(seq "$count"); do
        XDG_DATA_HOME="$xdg" start_hookscope "$url" "$log-$i"
        serve_pids+=("$server_pid")
        serve_ports+=("$server_port")
    done
}

stop_serves() {
    local pid
    for pid in "${serve_pids[@]}"; do
        server_pid="$pid"
        stop_server
    done
    serve_pids=() serve_ports=()
}

# Loads the serve processes in serve_pids/serve_ports at once, one wrk each with its share of
# the ingest round's threads and connections and requests of its own (no two wrk share an
# event); records under `name` the sum of their 2xx rates, the worse p50 and p99, the CPU
# time per 2xx answer of the serve processes together and, with `pg` = 1, of the PostgreSQL
# server. Leaves the sums in load_ok, load_other, load_sent and load_errors.
load_serves() {
    local name="$1" run="$2" pg="$3" n=${#serve_pids[@]}
    local threads=$((wrk_threads / n)) connections=$((wrk_connections / n))
    local i t pid out result outs=() before=0 after=0 pg_before=0 pg_after=0
    local rate=0 p50=0 p99=0
    [ $((threads * n)) = "$wrk_threads" ] && [ $((connections * n)) = "$wrk_connections" ] ||
        fail "cannot split $wrk_threads threads and $wrk_connections connections $n ways"
    for pid in "${serve_pids[@]}"; do
        before=$((before + $(cpu_ticks "$pid")))
    done
    [ "$pg" = 1 ] && pg_before="$(pg_cpu_ticks)"
    loaders=()
    for i in $(seq 0 $((n - 1))); do
        # wrk i sends the files of the ingest round's threads i * threads ... as its own.
        for t in $(seq 0 $((threads - 1))); do
            ln -sf "$work/requests.$((i * threads + t))" "$work/requests-$n-$i.$t"
        done
        out="$work/wrk-pg-$name-$run-$i.txt"
        outs+=("$out")
        wrk -t "$threads" -c "$connections" -d "${ingest_seconds}s" --timeout 10s \
            -s "$here/ingest.lua" "http://127.0.0.1:${serve_ports[$i]}" -- "$work/requests-$n-$i" \
            >"$out" 2>&1 &
        loaders+=("$!")
    done
    for i in $(seq 0 $((n - 1))); do
        wait "${loaders[$i]}" || fail "wrk failed against $name: $(cat "${outs[$i]}")"
    done
    loaders=()
    for pid in "${serve_pids[@]}"; do
        after=$((after + $(cpu_ticks "$pid")))
    done
    [ "$pg" = 1 ] && pg_after="$(pg_cpu_ticks)"
    load_ok=0 load_other=0 load_sent=0 load_errors=0
    for out in "${outs[@]}"; do
        result="$(grep '^RESULT ' "$out")" || fail "wrk printed no result for $name: $(cat "$out")"
        load_ok=$((load_ok + $(wrk_field ok "$result")))
        load_other=$((load_other + $(wrk_field other "$result")))
        load_sent=$((load_sent + $(wrk_field sent "$result")))
        load_errors=$((load_errors + $(wrk_field errors "$result")))
        rate="$(awk -v a="$rate" -v b="$(wrk_field rate "$result")" 'BEGIN { print a + b }')"
        p50="$(awk -v a="$p50" -v b="$(wrk_field p50_ms "$result")" 'BEGIN { print (b > a) ? b : a }')"
        p99="$(awk -v a="$p99" -v b="$(wrk_field p99_ms "$result")" 'BEGIN { print (b > a) ? b : a }')"
    done
    [ "$load_ok" -gt 0 ] || fail "$name answered no request with 2xx: $(cat "${serve_logs[@]/%/.err}" 2>/dev/null)"
    add "pg_${name}_rate" "$rate"
    add "pg_${name}_p50_ms" "$p50"
    add "pg_${name}_p99_ms" "$p99"
    add "pg_${name}_cpu_us" "$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
        -v n="$load_ok" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
    if [ "$pg" = 1 ]; then
        add "pg_${name}_server_cpu_us" "$(awk -v t="$((pg_after - pg_before))" \
            -v hz="$(getconf CLK_TCK)" -v n="$load_ok" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
    fi
}

# Checks the rows of a round against wrk's answers: every 2xx answer has its row (0 lost),
# and the rows beyond the 2xx answers are no more than the requests wrk had sent when it
# stopped and whose answers it no longer read (one a connection, or one a failed request).
# A lost row is recorded and fails the run after the table; anything else fails it at once.
check_rows() {
    local name="$1" what="$2" run="$3" rows="$4" valid="$5"
    local excess=$((rows - load_ok)) allowed=$((wrk_connections + load_errors))
    [ "$load_other" = 0 ] ||
        fail "$what answered $load_other deliveries with other than 2xx: $(cat "${serve_logs[@]/%/.err}" 2>/dev/null | head -n 20)"
    [ "$valid" = "$rows" ] || fail "$what stored $((rows - valid)) rows not valid or not 200"
    add "pg_${name}_2xx" "$load_ok"
    add "pg_${name}_rows" "$rows"
    add "pg_${name}_lost" "$((excess < 0 ? -excess : 0))"
    if [ "$excess" -lt 0 ] || [ "$excess" -gt "$allowed" ] || [ "$rows" -gt "$load_sent" ]; then
        add "pg_${name}_match" 0
        pg_lost+="round $run, $what: $load_ok answered 2xx, $rows rows ($load_sent sent); "
    else
        add "pg_${name}_match" 1
    fi
}

# Rows and rows valid with 200 in the team database `name`, as "ROWS VALID".
pg_rows() {
    pg_sql -d "$1" -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE verdict = 'valid' AND
        response_status = 200) FROM deliveries" || fail "cannot count the rows of $1"
}

run_postgres() {
    local run db url name counts rows valid xdg line
    pg_dir="$(mktemp -d /tmp/hookscope-bench-pg.XXXXXX)"
    # Under /tmp rather than $TMPDIR: `nobody` must get through every parent.
    pg_port="$("$here/pg-cluster.sh" start "$pg_dir")" || fail "the PostgreSQL server does not start"
    pg_version="$(pg_sql -d postgres -c "SHOW server_version" | cut -d' ' -f1)"
    echo "PostgreSQL $pg_version ($(pg_sql -d postgres -c "SELECT 'fsync ' || current_setting('fsync') ||
        ', synchronous_commit ' || current_setting('synchronous_commit')")): serve on SQLite," \
        "one serve and two on one team database; wrk, $wrk_threads threads, $wrk_connections" \
        "connections, ${ingest_seconds} s, $runs round(s)"
    for run in $(seq "$runs"); do
        "$bench/bench_load" write --out "$work/requests" --count "$ingest_pool" \
            --threads "$wrk_threads" --secret "$secret"

        # serve on SQLite, as in the ingest round.
        db="$work/pg-sqlite-$run.db"
        new_database "$db"
        settle
        serve_logs=("$work/serve-pg-sqlite-$run.log")
        start_hookscope "$db" "${serve_logs[0]}"
        serve_pids=("$server_pid") serve_ports=("$server_port")
        load_serves sqlite "$run" 0
        stop_serves
        rows="$(sqlite3 "$db" "SELECT count(*) FROM deliveries")"
        valid="$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE verdict = 'valid' AND response_status = 200")"
        check_rows sqlite "serve on SQLite" "$run" "$rows" "$valid"
        remove_database "$db"
        line="  round $run: SQLite $(last_value pg_sqlite_rate)/s ($load_ok 2xx, $rows rows)"

        # One serve, then two, on a team database of their own.
        for name in one two; do
            xdg="$work/pg-xdg-$run-$name"
            url="$(pg_database "hookscope_${run}_$name" "$xdg")"
            pg_settle
            start_team_serves "$([ "$name" = one ] && echo 1 || echo 2)" "$url" "$xdg" \
                "$work/serve-pg-$name-$run.log"
            serve_logs=("$work/serve-pg-$name-$run.log-1")
            [ "$name" = two ] && serve_logs+=("$work/serve-pg-$name-$run.log-2")
            load_serves "$name" "$run" 1
            stop_serves
            counts="$(pg_rows "hookscope_${run}_$name")"
            # What the receivers' learners had left of the event schemas as the serves stopped.
            add "pg_${name}_unlearned" "$(pg_sql -d "hookscope_${run}_$name" \
                -c "SELECT count(*) FROM schema_queue")"
            check_rows "$name" "$([ "$name" = one ] && echo "serve" || echo "two serves") on PostgreSQL" \
                "$run" "${counts% *}" "${counts#* }"
            pg_sql -d postgres -c "DROP DATABASE hookscope_${run}_$name" >/dev/null ||
                fail "cannot drop hookscope_${run}_$name"
            line+=", $([ "$name" = one ] && echo "PostgreSQL" || echo "two serves")"
            line+=" $(last_value "pg_${name}_rate")/s ($load_ok 2xx, ${counts% *} rows)"
        done
        # The one serve's own per-stage table (serve --stats), of the last round.
        pg_stage_table="$(sed -n '/deliveries stored in/,$p' "$work/serve-pg-one-$run.log-1.err")"
        add pg_one_schemas_cpu_us "$(awk '/^schemas:/ { print $NF }' <<<"$pg_stage_table")"
        echo "$line; rows = 2xx: $([ -z "$pg_lost" ] && echo yes || echo NO)"
    done
    "$here/pg-cluster.sh" stop "$pg_dir" || fail "the PostgreSQL server did not stop"
    pg_dir=""
}

# The value recorded last under `key`.
last_value() {
    awk -v key="$1" '$1 == key { v = $2 } END { print v }' "$results"
}

# --- the disk ---

# The mean time of a synchronous 4 KB write where the databases are: what each commit waits
# for at least, since a delivery is answered only once it is on disk.
measure_disk() {
    local seconds
    seconds="$(dd if=/dev/zero of="$work/sync.dat" bs=4k count=200 oflag=dsync 2>&1 |
        sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p')"
    rm -f "$work/sync.dat"
    [ -n "$seconds" ] && add disk_sync_write_ms "$(awk -v s="$seconds" 'BEGIN { print s * 1000 / 200 }')"
    return 0
}

# --- the table ---

load_before="$(uptime)"
started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
deep_outcome="" deep_pane_outcome="" deep_http="" deep_show="" version_runs_done=0
measure_disk
wants ingest && run_ingest
wants latency && run_latency
wants catchup && run_catchup
wants scale && run_scale
wants schemas && run_schemas
wants decode && run_decode
wants startup && run_startup
wants live && run_live
wants postgres && run_postgres
measure_disk
load_after="$(uptime)"

rows_file="$work/table"
: >"$rows_file"

# row LABEL KEY UNIT [OP THRESHOLD TARGET-TEXT] [RUNS]
row() {
    local label="$1" key="$2" unit="$3" op="${4:-}" threshold="${5:-}" target="${6:--}"
    local value verdict="" shown n
    [ "$(count "$key")" -gt 0 ] || return 0
    value="$(median "$key")"
    n="${7:-$(count "$key")}"
    if [ -n "$op" ]; then
        verdict="$(awk -v v="$value" -v t="$threshold" -v op="$op" 'BEGIN {
            ok = (op == "<") ? v < t : (op == "<=") ? v <= t : (op == ">=") ? v >= t : v > t
            print ok ? "met" : "MISSED" }')"
    fi
    shown="$(awk -v v="$value" 'BEGIN { if (v >= 100) printf "%.0f", v;
        else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }')"
    printf '%s\t%s %s\t%s\t%s\t%s\t%s\n' "$label" "$shown" "$unit" "$target" "$verdict" "$n" \
        "$(values "$key" | awk '{ for (i = 1; i <= NF; i++) printf "%s%g", (i > 1 ? " " : ""), $i }')" \
        >>"$rows_file"
}

ratio() {
    local label="$1" a="$2" b="$3" op="${4:-}" threshold="${5:-}" target="${6:-}" value
    [ "$(count "$a")" -gt 0 ] && [ "$(count "$b")" -gt 0 ] || return 0
    value="$(awk -v a="$(median "$a")" -v b="$(median "$b")" 'BEGIN { print (b > 0) ? a / b : 0 }')"
    add "ratio_$a$b" "$value"
    row "$label" "ratio_$a$b" "x" "$op" "$threshold" "$target" "-"
}

row "disk: synchronous 4 KB write, mean (before, after)" disk_sync_write_ms "ms"
row "ingest: bare QHttpServer, answers 200, stores nothing" ingest_bare_rate "/s"
row "ingest: nginx, return 200" ingest_nginx_rate "/s"
row "ingest: webhook (adnanh), HMAC rule, runs /bin/true" ingest_webhook_rate "/s"
row "ingest: hookscope serve, verified and stored" ingest_hookscope_rate "/s"
ratio "ratio hookscope / bare QHttpServer" ingest_hookscope_rate ingest_bare_rate ">=" 0.4 ">= 0.4x"
ratio "ratio hookscope / webhook" ingest_hookscope_rate ingest_webhook_rate ">=" 2.5 ">= 2.5x"
ratio "ratio hookscope / nginx" ingest_hookscope_rate ingest_nginx_rate
row "ingest: hookscope serve, CPU time per delivery" ingest_hookscope_cpu_us "us"
row "ingest: bare QHttpServer, CPU time per request" ingest_bare_cpu_us "us"
row "ingest: event schemas and drift, CPU time per delivery" ingest_schemas_cpu_us "us"
ratio "ingest: event schemas and drift, share of serve's CPU" ingest_schemas_cpu_us ingest_hookscope_cpu_us "<" 0.05 "< 5%"
row "ingest: hookscope p50 latency" ingest_hookscope_p50_ms "ms"
row "ingest: hookscope p99 latency" ingest_hookscope_p99_ms "ms"
row "ingest: bare QHttpServer p50 latency" ingest_bare_p50_ms "ms"
row "ingest: bare QHttpServer p99 latency" ingest_bare_p99_ms "ms"
row "ingest: nginx p50 latency" ingest_nginx_p50_ms "ms"
row "ingest: nginx p99 latency" ingest_nginx_p99_ms "ms"
row "ingest: webhook p50 latency" ingest_webhook_p50_ms "ms"
row "ingest: webhook p99 latency" ingest_webhook_p99_ms "ms"
row "ingest: hookscope 2xx answers" ingest_hookscope_2xx ""
row "ingest: hookscope rows in the database" ingest_hookscope_rows ""
row "ingest: rows of requests in flight when wrk stopped" ingest_hookscope_in_flight ""
row "latency at $latency_rate/s: achieved rate" latency_paced_achieved_rate "/s"
row "latency at $latency_rate/s: p50" latency_paced_p50_ms "ms"
row "latency at $latency_rate/s: p99" latency_paced_p99_ms "ms" "<" 5 "< 5 ms"
row "latency at $latency_rate/s: p99.9" latency_paced_p999_ms "ms"
row "latency at $latency_rate/s: max" latency_paced_max_ms "ms"
row "latency: rows = 2xx answers" latency_rows ""
row "catch-up at $catchup_rate/s: achieved rate" catchup_paced_achieved_rate "/s"
row "catch-up: text index, oldest delivery not indexed (max)" catchup_index_max_lag_ms "ms" "<" 1000 "< 1 s"
row "catch-up: mapping, oldest delivery not mapped (max)" catchup_mapping_max_lag_ms "ms" "<" 1000 "< 1 s"
row "catch-up: text index complete after the load" catchup_index_after_load_ms "ms"
row "catch-up: mapping complete after the load" catchup_mapping_after_load_ms "ms"
row "scale: generating the deliveries (bulk)" scale_generate_s "s"
row "scale: deliveries in the database" scale_deliveries ""
row "scale: text index from nothing (after generating)" scale_index_build_per_s "/s"
row "scale: subscriber mapping from nothing (after generating)" scale_mapping_build_per_s "/s"
row "scale: database size per delivery" scale_database_bytes_per_delivery "B"
row "scale: text index file size per delivery" scale_search_index_bytes_per_delivery "B"
row "scale: open to the first painted rows" scale_first_rows_ms "ms" "<" 1500 "< 1.5 s"
row "scale: resident memory after the first rows" scale_rss_after_first_rows_mb "MB" "<" 300 "< 300 MB"
row "scale: filter by event type (event:invoice.paid)" scale_filter_event_type_ms "ms" "<" 300 "< 300 ms"
row "scale: filter by body text, rare (1 row)" scale_filter_body_text_ms "ms" "<" 300 "< 300 ms"
row "scale: filter by body text, common (every row)" scale_filter_common_word_ms "ms" "<" 300 "< 300 ms"
row "scale: filter by verdict (verdict:invalid)" scale_filter_verdict_ms "ms"
row "scale: worst scroll step, top to bottom" scale_scroll_worst_step_ms "ms"
row "scale: resident memory after scrolling" scale_rss_after_scroll_mb "MB" "<" 300 "< 300 MB"
row "schemas: deliveries (20 event types)" schemas_deliveries ""
row "schemas: learned from nothing" schemas_rebuild_per_s "/s" ">=" 50000 ">= 50,000/s"
row "schemas: event types listed (hookscope events)" schemas_event_types_ms "ms" "<" 300 "< 300 ms"
row "schemas: one event type's schema read" schemas_schema_ms "ms" "<" 300 "< 300 ms"
row "schemas: drift:yes counted" schemas_drift_filter_count_ms "ms"
row "decode: body size" decode_decode_body_mb "MB"
row "decode: fields decoded" decode_decode_fields ""
row "decode: decode to fields" decode_decode_ms "ms"
row "decode: pretty-print" decode_pretty_ms "ms"
row "decode: decode + pretty-print" decode_decode_pretty_ms "ms" "<" 1000 "< 1 s"
row "decode: select it, detail pane painted" decode_detail_pane_ms "ms"
row "decode: over HTTP to hookscope serve, answered" decode_http_large_ms "ms"
row "decode: $depth levels deep, decode refused" decode_deep_decode_ms "ms"
row "decode: $depth levels deep, detail pane painted" decode_deep_detail_pane_ms "ms"
row "startup: hookscope --version (hyperfine)" startup_version_ms "ms" "" "" "-" "$version_runs_done"
row "startup: start to the painted window, empty db" startup_window_first_paint_ms "ms"
row "startup: resident memory of the window" startup_window_rss_mb "MB"
row "live: GUI thread idle, share of a core" live_idle_gui_cpu_share_pct "%"
row "live: 50/s, GUI thread, share of a core" live_rate50_gui_cpu_share_pct "%" "<=" 3 "<= 3 %"
row "live: 50/s, GUI thread per delivery" live_rate50_gui_cpu_per_delivery_us "us"
row "live: 1000/s, GUI thread, share of a core" live_rate1000_gui_cpu_share_pct "%" "<=" 25 "<= 25 %"
row "live: 1000/s, GUI thread per delivery" live_rate1000_gui_cpu_per_delivery_us "us"
row "live: 1000/s, 200 to painted row (median)" live_rate1000_paint_after_200_median_ms "ms" "<=" 250 "<= 250 ms"
row "live: burst, event loop worst lateness" live_burst_event_loop_worst_late_ms "ms" "<=" 100 "<= 100 ms"
row "live: burst, GUI thread per delivery" live_burst_gui_cpu_per_delivery_us "us"
row "live: arrivals taken as fast as answered" live_arrivals_answered ""
row "live: resident memory growth over the arrivals" live_rss_growth_mb "MB" "<" 20 "< 20 MB"
row "postgres: serve on SQLite, verified and stored" pg_sqlite_rate "/s"
row "postgres: serve on PostgreSQL" pg_one_rate "/s"
row "postgres: two serves on one PostgreSQL database" pg_two_rate "/s"
ratio "ratio PostgreSQL / SQLite, one serve" pg_one_rate pg_sqlite_rate
ratio "ratio PostgreSQL / SQLite, two serves" pg_two_rate pg_sqlite_rate
row "postgres: serve on SQLite p50 latency" pg_sqlite_p50_ms "ms"
row "postgres: serve on SQLite p99 latency" pg_sqlite_p99_ms "ms"
row "postgres: serve on PostgreSQL p50 latency" pg_one_p50_ms "ms"
row "postgres: serve on PostgreSQL p99 latency" pg_one_p99_ms "ms"
row "postgres: two serves p50 latency (the worse)" pg_two_p50_ms "ms"
row "postgres: two serves p99 latency (the worse)" pg_two_p99_ms "ms"
row "postgres: serve on SQLite, CPU time per delivery" pg_sqlite_cpu_us "us"
row "postgres: serve on PostgreSQL, CPU time per delivery" pg_one_cpu_us "us"
row "postgres: its PostgreSQL server, CPU per delivery" pg_one_server_cpu_us "us"
row "postgres: two serves, their CPU time per delivery" pg_two_cpu_us "us"
row "postgres: their PostgreSQL server, CPU per delivery" pg_two_server_cpu_us "us"
row "postgres: serve on PostgreSQL, event schemas CPU per delivery" pg_one_schemas_cpu_us "us"
row "postgres: one serve, deliveries left to learn as it stopped" pg_one_unlearned ""
row "postgres: two serves, deliveries left to learn as they stopped" pg_two_unlearned ""

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo
echo "HookScope benchmarks, $started_at$([ "$quick" = 1 ] && echo ' (quick: tiny counts, figures mean nothing)')"
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(. /etc/os-release && echo "$PRETTY_NAME"), Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null | cut -d- -f1 || echo '?')," \
    "SQLite $(sqlite3 --version | cut -d' ' -f1)"
echo "Load before: ${load_before##*load average: }; after: ${load_after##*load average: }"
echo
{
    printf 'benchmark\tmedian\ttarget\tmet\truns\tall runs\n'
    cat "$rows_file"
} | awk -F'\t' '{ printf "%-54s %-14s %-10s %-7s %-4s %s\n", $1, $2, $3, $4, $5, $6 }'
if [ -n "${stage_table:-}" ]; then
    echo
    echo "hookscope serve under the ingest load, its own per-stage counters (last round, serve --stats):"
    sed 's/^/  /' <<<"$stage_table"
fi
if [ "$(count pg_sqlite_rate)" -gt 0 ]; then
    # figure KEY: the median as the table shows it.
    figure() {
        awk -v v="$(median "$1")" 'BEGIN { if (v >= 100) printf "%.0f", v;
            else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }'
    }
    # pg_line LABEL NAME: one store's medians, and whether every round's rows were its 2xx.
    pg_line() {
        local name="$2"
        printf '%s\t%s\t%s ms\t%s ms\t%s\t%s\t%s us\t%s\n' "$1" "$(figure "pg_${name}_rate")" \
            "$(figure "pg_${name}_p50_ms")" "$(figure "pg_${name}_p99_ms")" \
            "$(awk -v key="pg_${name}_match" '$1 == key && $2 != 1 { no = 1 } END { print no ? "no" : "yes" }' "$results")" \
            "$(awk -v a="$(median "pg_${name}_rate")" -v b="$(median pg_sqlite_rate)" \
                'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')" \
            "$(figure "pg_${name}_cpu_us")" \
            "$([ "$(count "pg_${name}_server_cpu_us")" -gt 0 ] && echo "$(figure "pg_${name}_server_cpu_us") us" || echo -)"
    }
    echo
    echo "hookscope serve on PostgreSQL $pg_version (fsync on, synchronous_commit on) and on SQLite," \
        "medians of $(count pg_sqlite_rate) round(s):"
    echo "wrk -t $wrk_threads -c $wrk_connections, ${ingest_seconds} s; two serves: one wrk each with half the threads" \
        "and connections at once, 2xx/s summed, the worse p50 and p99; CPU per 2xx answer"
    {
        printf 'store\tdeliveries/s\tp50\tp99\trows = 2xx\tto SQLite\tserve CPU\tPostgreSQL CPU\n'
        pg_line "SQLite, one serve" sqlite
        pg_line "PostgreSQL, one serve" one
        pg_line "PostgreSQL, two serves" two
    } | awk -F'\t' '{ printf "  %-24s %-13s %-10s %-10s %-11s %-10s %-10s %s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
fi
if [ -n "$pg_stage_table" ]; then
    echo
    echo "hookscope serve on PostgreSQL under the ingest load, its own per-stage counters (last round, one serve, serve --stats):"
    sed 's/^/  /' <<<"$pg_stage_table"
fi
if [ -n "$deep_outcome$deep_http" ]; then
    echo
    echo "Deep nesting ($depth levels): decoder: $deep_outcome"
    echo "  detail pane: $deep_pane_outcome"
    echo "  over HTTP: answered $deep_http; hookscope show: ${deep_show:-?}"
fi
if [ -n "$markdown" ]; then
    {
        echo "| benchmark | median | target | met | runs | all runs |"
        echo "| --- | --- | --- | --- | --- | --- |"
        awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$rows_file"
    } >"$markdown"
fi
[ -z "$pg_lost" ] || fail "postgres: 2xx answers without their row: $pg_lost"
