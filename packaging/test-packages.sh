#!/usr/bin/env bash
# Builds HookScope's Linux packages in a release build of their own and checks them as a
# user and a distribution would, without installing anything on this system:
#   - the .deb: lintian finds no error or warning; apt can resolve its dependencies (a
#     simulation); unpacked into a temporary root, its files are where desktops look for
#     them, its desktop entry and AppStream metadata validate, every file carries VERSION,
#     and its hookscope, run from there, says VERSION and, serving, stores a signed
#     HostedHooks delivery as valid and a tampered one as invalid;
#   - the .rpm: its files and requirements (rpm -qpl, rpm -qpR);
#   - the .tar.gz: its executable.
# usage: test-packages.sh SOURCE_DIR BUILD_DIR VERSION
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR VERSION" >&2
    exit 2
fi
source_dir=$1
build_dir=$2
version=$3
app_id=dev.hookscope.HookScope

step() { printf '\n== %s\n' "$*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

work="$(mktemp -d)"
serve_pid=""
cleanup() {
    if [ -n "$serve_pid" ]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step "release build and packages in $build_dir"
cmake -S "$source_dir" --preset release -B "$build_dir" -DHOOKSCOPE_BUILD_TESTS=OFF >/dev/null
rm -f "$build_dir"/hookscope_*.deb "$build_dir"/hookscope-*.rpm "$build_dir"/hookscope-*.tar.gz
cmake --build "$build_dir" --parallel "$(nproc)" --target package
deb="$build_dir/hookscope_${version}_$(dpkg --print-architecture).deb"
rpm_file="$build_dir/hookscope-$version-1.$(uname -m).rpm"
tgz="$build_dir/hookscope-$version-Linux.tar.gz"
for package in "$deb" "$rpm_file" "$tgz"; do
    [ -f "$package" ] || fail "$package was not generated"
done

step "deb: control fields"
dpkg-deb --field "$deb"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "the deb's version is not $version"
depends="$(dpkg-deb --field "$deb" Depends)"
for dependency in libqt6core6 libqt6widgets6 libqt6httpserver6 libssl3 libqt6sql6-sqlite; do
    grep -q "\b$dependency\b" <<<"$depends" || fail "Depends lacks $dependency"
done

step "deb: lintian"
# Every tag is shown, information included; an error or a warning fails the test.
lintian --allow-root --fail-on error,warning --display-info "$deb" ||
    fail "lintian reports errors or warnings"
echo "lintian: no errors, no warnings"

step "deb: apt resolves its dependencies (simulation only)"
apt-get install --simulate "$deb" >"$work/apt.txt" 2>&1 || {
    cat "$work/apt.txt"
    fail "apt cannot resolve the deb's dependencies"
}
grep -q "^Inst hookscope " "$work/apt.txt" || {
    cat "$work/apt.txt"
    fail "apt would not install hookscope"
}
grep -E "^(Inst|Conf) " "$work/apt.txt"

step "deb: unpacked into $work/root"
root="$work/root"
dpkg-deb -x "$deb" "$root"
share="$root/usr/share"
for file in \
    usr/bin/hookscope \
    "usr/share/applications/$app_id.desktop" \
    "usr/share/metainfo/$app_id.metainfo.xml" \
    "usr/share/icons/hicolor/scalable/apps/$app_id.svg" \
    usr/share/man/man1/hookscope.1.gz \
    usr/share/doc/hookscope/copyright \
    usr/share/doc/hookscope/changelog.gz; do
    [ -f "$root/$file" ] || fail "/$file is not in the deb"
done
for size in 16 22 24 32 48 64 128 256 512; do
    icon="$share/icons/hicolor/${size}x$size/apps/$app_id.png"
    [ -f "$icon" ] || fail "no ${size}x$size icon"
done
desktop-file-validate "$share/applications/$app_id.desktop"
# The metadata, and that the desktop entry it launches is installed beside it.
appstreamcli validate-tree --no-net "$root"
grep -q "<release version=\"$version\"" "$share/metainfo/$app_id.metainfo.xml" ||
    fail "the AppStream metadata does not name release $version"
zcat "$share/man/man1/hookscope.1.gz" | grep -q "\"HookScope $version\"" ||
    fail "the man page does not name version $version"
zcat "$root/usr/share/doc/hookscope/changelog.gz" | head -n 1 | grep -q "^hookscope ($version)" ||
    fail "the changelog does not start with version $version"

# The unpacked binary runs against the system's Qt, with a home of its own.
run=(env -u LD_LIBRARY_PATH HOME="$work/home" XDG_DATA_HOME="$work/home/data"
    XDG_CONFIG_HOME="$work/home/config" QT_QPA_PLATFORM=offscreen "$root/usr/bin/hookscope")

step "deb: hookscope --version"
reported="$("${run[@]}" --version)"
echo "$reported"
[ "$reported" = "hookscope $version" ] || fail "hookscope --version says '$reported'"

step "deb: hookscope serve stores a signed delivery"
db="$work/smoke.db"
export HOOKSCOPE_PACKAGE_TEST_SECRET="package-test-secret"
"${run[@]}" endpoint add smoke --path /hooks/smoke --scheme hostedhooks \
    --secret-env HOOKSCOPE_PACKAGE_TEST_SECRET --db "$db"
"${run[@]}" serve --db "$db" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
port=""
for _ in $(seq 100); do
    port="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$work/serve.out")"
    [ -n "$port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$port" ] || {
    cat "$work/serve.out" "$work/serve.err"
    fail "hookscope serve did not start listening"
}
echo "listening on port $port"

# deliver BODY SIGNED_BODY: posts BODY with the HostedHooks signature of SIGNED_BODY and
# prints the status of the answer.
deliver() {
    local timestamp signature
    timestamp="$(date +%s)"
    signature="$(printf '%s.%s' "$timestamp" "$2" |
        openssl dgst -sha256 -hmac "$HOOKSCOPE_PACKAGE_TEST_SECRET" -r | cut -d ' ' -f 1)"
    curl --silent --show-error --max-time 10 --output /dev/null --write-out '%{http_code}' \
        --header 'Content-Type: application/json' \
        --header "HostedHooks-Signature: t=$timestamp,s=$signature" \
        --data-binary "$1" "http://127.0.0.1:$port/hooks/smoke"
}
body='{"event_type":"subscriber.created","event_id":"evt_package","data":{"id":"sub_package"}}'
[ "$(deliver "$body" "$body")" = 200 ] || fail "the signed delivery was not answered 200"
[ "$(deliver "$body " "$body")" = 200 ] || fail "the tampered delivery was not answered 200"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "hookscope serve did not stop cleanly on SIGTERM"
serve_pid=""
cat "$work/serve.out"

"${run[@]}" deliveries --db "$db" --json >"$work/deliveries.json"
verdicts="$(sed -n 's/^ *"verdict": "\([a-z]*\)".*/\1/p' "$work/deliveries.json" | tr '\n' ' ')"
echo "verdicts, newest first: $verdicts"
[ "$verdicts" = "invalid valid " ] || {
    cat "$work/deliveries.json"
    fail "expected the tampered delivery invalid and the signed one valid"
}

step "rpm: files"
rpm -qp --queryformat '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' "$rpm_file"
[ "$(rpm -qp --queryformat '%{VERSION}' "$rpm_file")" = "$version" ] ||
    fail "the rpm's version is not $version"
rpm -qpl "$rpm_file" | tee "$work/rpm-files.txt"
for file in /usr/bin/hookscope "/usr/share/applications/$app_id.desktop" \
    "/usr/share/metainfo/$app_id.metainfo.xml" "/usr/share/icons/hicolor/512x512/apps/$app_id.png"; do
    grep -qx "$file" "$work/rpm-files.txt" || fail "$file is not in the rpm"
done
for directory in /usr/share/applications /usr/share/icons/hicolor /usr/lib/.build-id; do
    if grep -qx "$directory" "$work/rpm-files.txt"; then
        fail "the rpm owns $directory, which belongs to the distribution"
    fi
done

step "rpm: requirements"
rpm -qpR "$rpm_file" | tee "$work/rpm-requires.txt"
for requirement in 'libQt6Core\.so\.6' 'libQt6HttpServer\.so\.6' 'libQt6Svg\.so\.6' 'libcrypto\.so\.3'; do
    grep -q "^$requirement" "$work/rpm-requires.txt" || fail "the rpm does not require $requirement"
done

step "tgz"
tar -tzf "$tgz" | grep -qx "hookscope-$version-Linux/bin/hookscope" || fail "no bin/hookscope in $tgz"

echo
echo "packages: all checks passed"
