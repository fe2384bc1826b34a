#!/bin/sh
# Finds the commands that a test or a benchmark needs, and installs the Debian packages that bring the
# missing ones (as root, or through sudo without a password), so that a fresh machine needs nothing
# installed beforehand. One script for every such need (the browser test, promtool, wrk, nginx).
#
# Usage: ensure-commands.sh [--optional] LABEL NEED...
#   NEED is COMMAND[=VARIABLE]:PACKAGE[+PACKAGE...], e.g. wrk=WRK_PATH:wrk or chromium=CHROMIUM_PATH:chromium+fonts-dejavu-core
#   VARIABLE, when set in the environment, names the binary to use instead (it must be executable).
#   --optional: a command that is missing and cannot be installed is reported and the script exits 0
#   (the caller has a fallback); without it, that is an error naming what to install.
set -eu
optional=false
if [ "${1:-}" = "--optional" ]; then
  optional=true
  shift
fi
label="$1"
shift
packages=""
missing=""
for need in "$@"; do
  spec="${need%%:*}"
  wanted="$(echo "${need#*:}" | tr '+' ' ')"
  command_name="${spec%%=*}"
  variable=""
  [ "$spec" != "$command_name" ] && variable="${spec#*=}"
  if [ -n "$variable" ]; then
    override="$(printenv "$variable" || true)"
    if [ -n "$override" ]; then
      [ -x "$override" ] && continue
      echo "[$label] $variable=$override is not an executable file" >&2
      exit 1
    fi
  fi
  # Debian puts some daemons (nginx) in /usr/sbin, which a non-root PATH may not hold.
  if command -v "$command_name" >/dev/null 2>&1 || [ -x "/usr/sbin/$command_name" ]; then
    continue
  fi
  packages="$packages $wanted"
  missing="$missing $command_name"
done
[ -z "$packages" ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
fi
if [ "$sudo" != "none" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[$label] installing Debian's$packages for$missing (apt-get, once)"
  # RUNLEVEL=1: a package's own service (nginx, prometheus) is not started; only its binary is used.
  if $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null; then
    exit 0
  fi
  echo "[$label] installing$packages failed" >&2
else
  echo "[$label]$missing not found, and not installable here (apt-get as root or through sudo)" >&2
fi
if [ "$optional" = true ]; then
  echo "[$label] going on without$missing" >&2
  exit 0
fi
echo "[$label] needs$missing: install Debian's$packages (sudo apt-get install$packages)" >&2
exit 1
