#!/bin/sh
# apt-ensure.sh PACKAGE PATH: install the Debian package PACKAGE unless PATH (a file or
# glob it provides) is already there. Runs `apt-get update` only when the first install
# attempt fails (a fresh machine's package lists may be missing or stale). Root or sudo.
set -eu
PACKAGE="$1"
WANTED="$2"
# shellcheck disable=SC2086  # PATH may be a glob
if ls $WANTED >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$PACKAGE is needed ($WANTED is missing) and apt-get is not available: install $PACKAGE" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "$PACKAGE" >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "$PACKAGE"
fi
# shellcheck disable=SC2086
ls $WANTED >/dev/null
