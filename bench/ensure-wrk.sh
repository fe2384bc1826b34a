#!/bin/sh
# bench:service measures with wrk (a C load generator: on two cores, a JavaScript one such as
# autocannon costs about as much CPU as the server it measures). This finds it, and installs Debian's
# wrk when it is missing and this runs as root on a Debian-like system. WRK_PATH points at another wrk.
set -eu
if [ -n "${WRK_PATH:-}" ]; then
  [ -x "$WRK_PATH" ] && exit 0
  echo "WRK_PATH=$WRK_PATH is not an executable file" >&2
  exit 1
fi
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[bench:service] installing Debian's wrk (apt-get, once)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  exit 0
fi
echo "bench:service needs wrk: install Debian's wrk (sudo apt-get install wrk) or set WRK_PATH to a wrk binary" >&2
exit 1
