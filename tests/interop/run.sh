#!/bin/sh
# The interop test (interop.mjs) as ctest runs it: installs the providers' npm libraries at the
# exact versions of package-lock.json into WORK_DIR (under the build tree, never the source
# tree), then runs the driver against HOOKSCOPE_BINARY.
#
#   tests/interop/run.sh HOOKSCOPE_BINARY WORK_DIR
#
# Exit status: 0 agreement, 1 a disagreement (or npm ci failing for a reason other than the
# network), 2 the driver could not run, 77 skipped: no node or npm, node older than 20, or the
# npm registry unreachable. The node_modules of a previous run are reused while
# package-lock.json is unchanged, so a run without the network still tests.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 HOOKSCOPE_BINARY WORK_DIR" >&2
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
binary="$1"
work="$2"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "skipped: $tool is not installed (Debian: nodejs, npm)"
        exit 77
    fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "skipped: node $(node --version) is too old, the libraries need node 20 or later"
    exit 77
fi

mkdir -p "$work/node"
cp "$here/package.json" "$here/package-lock.json" "$here/interop.mjs" "$work/node/"

# npm ci deletes node_modules and installs it again: only when the lock file has changed.
stamp="$work/node/node_modules/.interop-package-lock.json"
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
    log="$work/npm-ci.log"
    status=0
    (cd "$work/node" && timeout 120 npm ci --no-audit --no-fund --prefer-offline \
        --fetch-retries=1) >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        # A registry that cannot be reached (or a timeout) skips; anything else, such as a lock
        # file out of step with package.json, is a failure to look at.
        network='^npm error (code (E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT'
        network="$network|NETUNREACH|HOSTUNREACH)|ERR_SOCKET_TIMEOUT|E5[0-9][0-9])|network )"
        if [ "$status" -eq 124 ] || grep -Eq "$network" "$log"; then
            echo "skipped: npm ci cannot reach the npm registry (see $log)"
            exit 77
        fi
        echo "npm ci failed (exit $status), see $log:"
        head -n 10 "$log"
        exit 1
    fi
    cp "$here/package-lock.json" "$stamp"
fi

scratch="$work/scratch"
rm -rf "$scratch"
mkdir -p "$scratch"
exec node "$work/node/interop.mjs" "$binary" "$scratch"
