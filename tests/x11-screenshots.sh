#!/bin/sh
# The window under a real X server (Xvfb) at 1280x800: hookscope_screenshots must receive its
# deliveries, show the first-run guide, an Overview and the subscriber table, and write each
# as a PNG of that size. Skipped (77) without xvfb-run.
set -eu
tool="$1"
out="$2"
if ! command -v xvfb-run >/dev/null; then
    echo "skipped: xvfb-run is not installed (Debian: xvfb, xauth)"
    exit 77
fi
rm -rf "$out"
mkdir -p "$out"
HOOKSCOPE_SECRET_STORAGE=database QT_QPA_PLATFORM=xcb \
    xvfb-run -a -s "-screen 0 1600x1000x24" "$tool" "$out"
for name in first-run window; do
    size="$(file "$out/$name.png")"
    case "$size" in
    *"1280 x 800"*) ;;
    *) echo "$name.png is not 1280x800: $size"; exit 1 ;;
    esac
done
test -s "$out/subscribers.png"
