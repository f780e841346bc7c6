#!/usr/bin/env bash
# Runs a command with pcscd available: starts pcscd (foreground mode, no systemd, no
# --auto-exit) when none is running and we may start one, and stops it afterwards.
# Tests that need pcscd find it through /run/pcscd/pcscd.comm; without it they print
# "skipped: no pcscd" and do not fail.
set -uo pipefail
started=""
if [ ! -S /run/pcscd/pcscd.comm ] || ! pgrep -x pcscd >/dev/null; then
  if command -v pcscd >/dev/null && [ "$(id -u)" = 0 ]; then
    pcscd --foreground > "${TMPDIR:-/tmp}/cardline-pcscd.log" 2>&1 &
    started=$!
    for _ in $(seq 1 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
    echo "with-pcscd: started pcscd (pid $started)"
  else
    echo "with-pcscd: pcscd not available here; PC/SC tests will be skipped"
  fi
fi
"$@"
rc=$?
if [ -n "$started" ]; then kill "$started" 2>/dev/null; wait "$started" 2>/dev/null; fi
exit $rc
