#!/bin/sh
# Takes the README's screenshots (docs/first-run.png, docs/window.png, docs/subscribers.png,
# docs/events.png, docs/compare.png)
# of the real window under a virtual X server at 1280x800.
#
#   packaging/screenshots.sh [BUILD_DIR]     (default: build/dev)
#
# Needs xvfb-run (Debian: xvfb, xauth), installed by .ci/bootstrap.
set -eu
cd "$(dirname "$0")/.."
build="${1:-build/dev}"
cmake --build "$build" --target hookscope_screenshots
HOOKSCOPE_SECRET_STORAGE=database QT_QPA_PLATFORM=xcb \
    xvfb-run -a -s "-screen 0 1600x1000x24" "$build/tests/hookscope_screenshots" docs
