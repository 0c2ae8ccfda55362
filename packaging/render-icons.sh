#!/usr/bin/env bash
# Renders the application icon, resources/icons/hookscope.svg, into the raster forms the
# packages install: hicolor PNGs for Linux desktops, an ICO for the Windows installer and an
# ICNS for the macOS bundle. The results are committed; run this again after changing the SVG.
# Needs rsvg-convert (librsvg2-bin), convert (imagemagick) and png2icns (icnsutils).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
svg="$here/../resources/icons/hookscope.svg"
id=dev.hookscope.HookScope

png() { echo "$here/icons/hicolor/$1x$1/apps/$id.png"; }

for size in 16 22 24 32 48 64 128 256 512; do
    mkdir -p "$(dirname "$(png "$size")")"
    rsvg-convert -w "$size" -h "$size" "$svg" -o "$(png "$size")"
done
convert "$(png 16)" "$(png 24)" "$(png 32)" "$(png 48)" "$(png 64)" "$(png 256)" \
    "$here/windows/hookscope.ico"
png2icns "$here/macos/hookscope.icns" "$(png 16)" "$(png 32)" "$(png 48)" "$(png 128)" \
    "$(png 256)" "$(png 512)" >/dev/null
