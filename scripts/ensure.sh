#!/usr/bin/env bash
# `scripts/ensure.sh PROGRAM...`: install each missing program from Debian's packages when this
# machine can (root with apt-get), or say why not. Never fails: what needs the program skips
# (saying so) or, under CRM_REQUIRE_SERVICES=1, fails on its own.
set -uo pipefail
declare -A PACKAGE=([chromium]=chromium [wrk]=wrk [redis-server]=redis-server [pdftoppm]=poppler-utils)
missing=()
for program in "$@"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${PACKAGE[$program]:-$program}")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Not installed: ${missing[*]} (install them with your package manager; the parts that need them are skipped)." >&2
  exit 0
fi
echo "Installing ${missing[*]} ..."
apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
  || echo "Could not install ${missing[*]}; the parts that need them are skipped." >&2
exit 0
