#!/bin/sh
# Installs what building and testing sdsim needs, when it is missing, on a
# Debian or Ubuntu machine:
#   pkg-config and check  - to build and run the unit tests (make check)
#   gnuplot-nox           - to draw PNG plots (optional: without it sdsim
#                           still writes the .gp scripts)
# It uses apt-get as root, or sudo when that works without a password;
# otherwise it prints the exact command to run and fails.
# Usage: sh tests/deps.sh [--plots-only]
set -u

need=""
optional=""
if [ "${1:-}" != "--plots-only" ]; then
    command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
    if ! pkg-config --exists check 2>/dev/null; then need="$need check"; fi
fi
command -v gnuplot >/dev/null 2>&1 || optional="gnuplot-nox"

[ -z "$need$optional" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    if [ -n "$need" ]; then
        echo "sdsim: missing build dependencies:$need" >&2
        echo "sdsim: install them with:  sudo apt-get install -y$need $optional" >&2
        exit 1
    fi
    echo "sdsim: gnuplot is not installed: plots will be written as .gp scripts only" >&2
    echo "sdsim: (to draw PNGs: sudo apt-get install -y gnuplot-nox)" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "sdsim: missing:$need $optional, and this is not a Debian-like system (no apt-get);" >&2
    echo "sdsim: install Check (https://libcheck.github.io/check/), pkg-config and gnuplot" >&2
    [ -n "$need" ] && exit 1
    exit 0
fi

install() {
    echo "sdsim: installing$1 with apt-get (needed by make check / make run)"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $1 \
        >/dev/null 2>&1 && return 0
    echo "sdsim: apt-get install failed; refreshing the package lists (apt-get update) and retrying"
    $sudo apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $1
}

if [ -n "$need" ]; then
    install "$need" || { echo "sdsim: could not install$need" >&2; exit 1; }
fi
if [ -n "$optional" ]; then
    install " $optional" || echo "sdsim: warning: gnuplot could not be installed; plots stay as .gp scripts" >&2
fi
exit 0
