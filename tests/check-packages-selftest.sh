#!/usr/bin/env bash
# Proves that .ci/check-packages can fail: a check that passes everywhere would not notice a
# package missing from .ci/bootstrap. Against the real build in BUILD_DIR:
#   1. with .ci/bootstrap's list minus qt6-websockets-dev (the package that was once missing:
#      Qt6HttpServer's CMake package needs it), the check must fail and name the
#      Qt6WebSockets CMake package config with its owner, qt6-websockets-dev;
#   2. with a header that belongs to no package (a temporary file outside the source and
#      build trees) added to what the build used, the check must fail and name that file as
#      in no package.
# It uses the two hooks .ci/check-packages has for this test alone:
# HOOKSCOPE_BOOTSTRAP_PACKAGES_OVERRIDE (a file with the package list to use) and
# HOOKSCOPE_CHECK_PACKAGES_EXTRA_HEADERS (more paths to check as headers).
# Whether the real check passes is not this test's business (that is bootstrap_packages).
#   tests/check-packages-selftest.sh BUILD_DIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build_dir=$1
root="$(cd "$(dirname "$0")/.." && pwd)"
check="$root/.ci/check-packages"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Under /tmp whatever TMPDIR says: the fake header must be outside the two trees, which the
# check ignores.
work="$(mktemp -d /tmp/hookscope-check-packages.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Runs the check with the given environment assignments; its output goes to $work/out, its
# exit status to $status.
run_check() {
    status=0
    env "$@" "$check" "$build_dir" >"$work/out" 2>&1 || status=$?
    cat "$work/out"
    if [ "$status" -eq 77 ]; then
        exit 77 # not a Debian system: skipped, as the check itself is
    fi
}

echo "== without qt6-websockets-dev in the package list"
"$root/.ci/bootstrap" packages >"$work/packages"
grep -qx qt6-websockets-dev "$work/packages" ||
    fail ".ci/bootstrap no longer installs qt6-websockets-dev: choose another package for this test"
grep -q '^Qt6WebSockets_DIR:PATH=/' "$build_dir/CMakeCache.txt" ||
    fail "the build in $build_dir did not use Qt6WebSockets' CMake package: choose another package for this test"
grep -vx qt6-websockets-dev "$work/packages" >"$work/without-websockets"
run_check HOOKSCOPE_BOOTSTRAP_PACKAGES_OVERRIDE="$work/without-websockets"
[ "$status" -eq 1 ] || fail "the check exited $status, not 1, without qt6-websockets-dev"
grep -Eq '/cmake/Qt6WebSockets/Qt6WebSockets(Config|-config)\.cmake +\(package ([^)]*, )?qt6-websockets-dev[,)]' \
    "$work/out" || fail "the check did not name Qt6WebSockets' package config and qt6-websockets-dev"
grep -q 'Add to the list in .ci/bootstrap:.*\bqt6-websockets-dev\b' "$work/out" ||
    fail "the check did not say to add qt6-websockets-dev to .ci/bootstrap"

echo
echo "== with a header in no package"
header="$work/leftover.h"
echo '#pragma once' >"$header"
run_check HOOKSCOPE_CHECK_PACKAGES_EXTRA_HEADERS="$header"
[ "$status" -eq 1 ] || fail "the check exited $status, not 1, with $header"
grep -F "$header" "$work/out" | grep -q '(no package)' ||
    fail "the check did not name $header as in no package"

echo
echo "PASS: the check fails, and says why, when a package or a file is not from .ci/bootstrap"
