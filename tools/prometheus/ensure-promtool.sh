#!/bin/sh
# The alerting rules in deploy/prometheus/ are checked with Prometheus's own promtool (ADR 23). This
# finds it, and installs Debian's prometheus package (which brings promtool) when it is missing and
# this runs as root on a Debian-like system, so that `npm install && npm test` sets it up on a fresh
# machine. PROMTOOL_PATH points at another promtool. Without one, the test checks the rules by parsing.
set -eu
if [ -n "${PROMTOOL_PATH:-}" ]; then
  [ -x "$PROMTOOL_PATH" ] && exit 0
  echo "PROMTOOL_PATH=$PROMTOOL_PATH is not an executable file" >&2
  exit 1
fi
command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[alert rules] installing Debian's prometheus for promtool (apt-get, once)"
  # The package's own service is not wanted: only its promtool binary is used.
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
    exit 0
  fi
  echo "[alert rules] installing prometheus failed: the rules are checked by parsing only" >&2
  exit 0
fi
echo "[alert rules] promtool not found and not installable here: the rules are checked by parsing only (install Debian's prometheus or set PROMTOOL_PATH)" >&2
exit 0
