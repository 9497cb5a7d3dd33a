#!/bin/sh
# Make sure Debian's chromium is installed at /usr/bin/chromium (or $CHAINRULE_CHROMIUM): the
# browser the Playwright tests in tests/test_browser.py drive headless (Playwright never
# downloads a browser of its own here). Used by `make test`; does nothing when it is there.
set -eu
exec sh "$(dirname "$0")/apt-ensure.sh" chromium "${CHAINRULE_CHROMIUM:-/usr/bin/chromium}"
