#!/bin/sh
# Make sure Debian's chromium is installed at /usr/bin/chromium (the browser the
# Playwright tests in tests/test_browser.py drive headless; Playwright never
# downloads a browser of its own here). Used by `make test`; safe to run again
# (it does nothing when /usr/bin/chromium is there).
set -eu
BROWSER="${CHAINRULE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $BROWSER is missing and apt-get is not available;" >&2
    echo "install Debian's chromium package (the browser tests are skipped without it)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends chromium
fi
test -x "$BROWSER"
