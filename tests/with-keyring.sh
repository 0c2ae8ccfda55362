#!/bin/sh
# Runs a command in a private D-Bus session with a throwaway, unlocked GNOME keyring, so that
# the keychain tests use a real Secret Service without touching the user's own keyring.
# Exits 77 (skipped) when the session bus, the keyring daemon or secret-tool is missing.
set -eu

for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
    if ! command -v "$tool" >/dev/null; then
        echo "skipped: $tool is not installed (Debian: dbus, gnome-keyring, libsecret-tools)"
        exit 77
    fi
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/data" "$scratch/runtime"
chmod 700 "$scratch/runtime"

XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime" HOME="$scratch" \
    dbus-run-session -- sh -c '
        printf "throwaway" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        "$@"
    ' with-keyring "$@"
