#!/bin/sh
# The browser test drives Debian's chromium with playwright-core (ADR 20). This finds it, and installs
# it when it is missing and this runs as root on a Debian-like system, so that `npm install && npm test`
# sets everything up on a fresh machine. CHROMIUM_PATH points at another Chromium.
set -eu
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && exit 0
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  [ -x "$candidate" ] && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[browser test] installing Debian's chromium (apt-get, once; about a minute)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "The browser test needs Chromium: install Debian's chromium (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary" >&2
exit 1
