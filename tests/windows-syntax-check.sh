#!/usr/bin/env bash
# Portability check for Windows that runs on Debian: every translation unit of core/ and app/
# is compiled with -fsyntax-only for x86_64-w64-mingw32 (Debian's g++-mingw-w64-x86-64-posix),
# against the installed Qt headers, so that a call to an API Windows lacks (socketpair,
# sigaction, statvfs, SHUT_WR, ...) fails here rather than on a Windows machine. MinGW ships
# POSIX-looking headers of its own (unistd.h, fcntl.h, sys/stat.h, signal.h), so a system
# header outside core/platform is also refused by name: those calls belong behind
# core/platform/platform.h. No object is made; linking and running on Windows are not checked
# (packaging/README.md says what remains). Nothing but _WIN32_WINNT (Windows 10, for Winsock
# and the security API) is defined by hand: the compiler's _WIN32 makes Q_OS_WIN, and Debian's
# Linux-configured qconfig.h and qtcore-config.h parse as they are for the Windows target.
#
#   tests/windows-syntax-check.sh [SOURCE_DIR [FILE.cpp...]]
# checks every .cpp of core/ and app/, or only the files named. Exit status: 0 clean,
# 1 failures, 77 no MinGW compiler.
set -euo pipefail

source_dir="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
shift || true
compiler="${HOOKSCOPE_MINGW_CXX:-x86_64-w64-mingw32-g++-posix}"
if ! command -v "$compiler" >/dev/null; then
    echo "SKIP: $compiler not found (Debian package g++-mingw-w64-x86-64-posix)" >&2
    exit 77
fi

status=0

# 1. System headers only in core/platform.
forbidden='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(sys/[^>]*|unistd\.h|fcntl\.h|signal\.h|csignal|windows\.h|winsock2?\.h|ws2tcpip\.h|sddl\.h|io\.h|direct\.h)>'
if grep -rnE "$forbidden" "$source_dir/core" "$source_dir/app" --include='*.cpp' --include='*.h' |
        grep -v "^$source_dir/core/platform/"; then
    echo "FAIL: system headers outside core/platform (put the call behind core/platform/platform.h)"
    status=1
fi

# 2. Every translation unit, for the Windows target.
qt="/usr/include/x86_64-linux-gnu/qt6"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Third-party headers one by one, so that /usr/include (glibc's headers) stays out of the
# search path: a Linux header must not stand in for a missing Windows one.
mkdir -p "$work/include/openssl"
ln -s /usr/include/simdjson.h /usr/include/http_parser.h /usr/include/csv.h /usr/include/sqlite3.h \
    /usr/include/qt6keychain "$work/include/"
ln -s /usr/include/openssl/* "$work/include/openssl/"
# OpenSSL's configuration.h is generated per platform; Debian's amd64 one holds nothing that
# differs for the declarations used here.
ln -sf /usr/include/x86_64-linux-gnu/openssl/configuration.h \
    /usr/include/x86_64-linux-gnu/openssl/opensslconf.h "$work/include/openssl/"

flags=(-std=c++20 -fsyntax-only -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE
       -DQT_CORE_LIB -DQT_NETWORK_LIB -DQT_SQL_LIB -DQT_GUI_LIB -DQT_WIDGETS_LIB
       -DQT_NO_CAST_FROM_ASCII -DQT_NO_CAST_TO_ASCII -DQT_NO_CAST_FROM_BYTEARRAY
       -DQT_NO_CONTEXTLESS_CONNECT -DQT_NO_URL_CAST_FROM_STRING
       -DQT_NO_NARROWING_CONVERSIONS_IN_CONNECT -DQT_STRICT_ITERATORS -DQT_USE_QSTRINGBUILDER
       -DQT_NO_KEYWORDS '-DHOOKSCOPE_VERSION=\"0\"'
       -I"$qt")
for module in QtCore QtNetwork QtSql QtHttpServer QtWebSockets QtGui QtWidgets QtSvg QtConcurrent; do
    flags+=(-I"$qt/$module")
done
for dir in "$source_dir"/core/*/ "$source_dir"/app/*/; do
    flags+=(-I"${dir%/}")
done
flags+=(-idirafter "$work/include")

export compiler work
printf '%s\n' "${flags[@]}" >"$work/flags"
if [ $# -gt 0 ]; then
    units=("$@")
else
    mapfile -t units < <(find "$source_dir/core" "$source_dir/app" -name '*.cpp' | sort)
fi
printf '%s\0' "${units[@]}" |
    xargs -0 -P "${HOOKSCOPE_JOBS:-2}" -I{} sh -c \
        'if ! "$compiler" @"$work/flags" "$1" >"$work/$(echo "$1" | tr / _).log" 2>&1; then
             echo "FAIL: $1"; cat "$work/$(echo "$1" | tr / _).log"; exit 1; fi' sh {} ||
    status=1

if [ "$status" -eq 0 ]; then
    echo "OK: ${#units[@]} translation units compile for Windows (syntax only)"
fi
exit "$status"
