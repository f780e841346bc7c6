#!/usr/bin/env bash
# Runs the package's maintainer scripts (postinst, prerm, postrm in the directory given) against
# a pretend system and checks what they do: each case runs in a private mount namespace whose
# /var/lib and /run are empty tmpfs (so the real system is never touched), with stub system
# commands (adduser, udevadm, systemctl, ...) that only log their arguments.
# Called by scripts/test-deb.sh. Exit 0: every case passed; 1: one failed; 77: skipped (says why).
set -uo pipefail
ctl=$(cd "$1" && pwd)

if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
  echo "skipped: maintainer scripts not run (needs root and unshare --mount)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/stubs"
for cmd in getent addgroup adduser install udevadm systemctl deb-systemd-invoke \
  deb-systemd-helper chown chmod rm mv; do
  cat >"$work/stubs/$cmd" <<'EOF'
#!/bin/sh
echo "${0##*/} $*" >>"$STUB_LOG"
if [ "${0##*/}" = getent ]; then
  [ -n "$STUB_ACCOUNT_EXISTS" ] || exit 2
fi
exit 0
EOF
  chmod +x "$work/stubs/$cmd"
done

failures=0
# run_case NAME HOME(yes|no) ACCOUNT(yes|no) INIT(yes|no) SCRIPT ARGS...: runs one maintainer
# script (INIT: systemd and udev running); leaves its command log in $log, its stderr in $err, its exit code in $rc, and the
# state of /var/lib/cardline before and after in $before and $after.
run_case() {
  local name=$1 home=$2 account=$3 init=$4 script=$5
  shift 5
  log=$work/$name.log err=$work/$name.err
  : >"$log"
  STUB_LOG=$log STUB_ACCOUNT_EXISTS=$([ "$account" = yes ] && echo 1) \
    unshare --mount bash -c '
      set -e
      mount -t tmpfs none /var/lib
      mount -t tmpfs none /run
      if [ "$1" = yes ]; then mkdir -p /run/udev /run/systemd/system; fi
      if [ "$2" = yes ]; then
        mkdir -m 0750 /var/lib/cardline
        printf "issued cards\n" >/var/lib/cardline/cardline.db
      fi
      state() { find /var/lib -printf "%p %m %s\n" | sort; md5sum /var/lib/cardline/cardline.db 2>/dev/null || true; }
      state >"$3.before"
      shift 3
      rc=0
      PATH="'"$work/stubs"':/usr/sbin:/usr/bin:/sbin:/bin" sh "$@" 2>"'"$err"'" || rc=$?
      state >"'"$work/$name"'.after"
      echo $rc >"'"$work/$name"'.rc"
    ' _ "$init" "$home" "$work/$name" "$ctl/$script" "$@"
  rc=$(cat "$work/$name.rc")
  before=$(cat "$work/$name.before")
  after=$(cat "$work/$name.after")
}
expect() { # expect NAME DESCRIPTION COMMAND...
  local name=$1 what=$2
  shift 2
  if ! "$@"; then
    echo "FAIL - maintainer scripts, $name: $what" >&2
    echo "  commands run: $(paste -sd';' "$log")" >&2
    [ -s "$err" ] && echo "  stderr: $(cat "$err")" >&2
    failures=$((failures + 1))
  fi
}
logged() { grep -qE "$1" "$log"; }
not_logged() { ! grep -qE "$1" "$log"; }

run_case fresh-install no no yes postinst configure
expect fresh-install "exit 0" [ "$rc" = 0 ]
expect fresh-install "creates the system group" logged '^addgroup --system .*cardline$'
expect fresh-install "creates the system user with home /var/lib/cardline" \
  logged '^adduser --system .*--ingroup cardline .*--home /var/lib/cardline .*cardline$'
expect fresh-install "creates the home, owned by cardline, mode 0750" \
  logged '^install -d -o cardline -g cardline -m 0750 /var/lib/cardline$'
expect fresh-install "reloads the udev rules and retriggers USB devices" \
  bash -c 'grep -q "^udevadm control --reload-rules" "$1" && grep -q "^udevadm trigger --subsystem-match=usb" "$1"' _ "$log"
expect fresh-install "tells systemd about the units" logged '^systemctl --system daemon-reload'
expect fresh-install "starts and enables nothing" not_logged 'enable|start|restart'

run_case upgrade yes yes yes postinst configure 0.0.9-1
expect upgrade "exit 0" [ "$rc" = 0 ]
expect upgrade "creates no account" not_logged '^(addgroup|adduser)'
expect upgrade "leaves the home alone (no install, chown, chmod, rm, mv)" \
  not_logged '^(install|chown|chmod|rm|mv) '
expect upgrade "the home's files, modes and contents are unchanged" [ "$before" = "$after" ]
expect upgrade "restarts the services that were running, only those" \
  logged '^deb-systemd-invoke try-restart cardline-desk\.service cardline-console\.service$'

run_case container no no no postinst configure
expect container "without systemd and udev running: exit 0, calls neither" \
  bash -c '[ "$1" = 0 ] && ! grep -qE "^(udevadm|systemctl|deb-systemd)" "$2"' _ "$rc" "$log"

run_case prerm-upgrade yes yes yes prerm upgrade 0.1.1-1
expect prerm-upgrade "keeps the services running through an upgrade" not_logged 'stop'
run_case prerm-remove yes yes yes prerm remove
expect prerm-remove "stops the services on removal" \
  logged '^deb-systemd-invoke stop cardline-desk\.service cardline-console\.service$'

run_case purge yes yes yes postrm purge
expect purge "exit 0" [ "$rc" = 0 ]
expect purge "keeps the home and its data" [ "$before" = "$after" ]
expect purge "removes no file and no account" not_logged '^(rm|mv|deluser|delgroup|userdel) '
expect purge "says that the home is kept" grep -q '/var/lib/cardline is kept' "$err"

for script in postinst prerm postrm; do
  run_case "unknown-$script" no no no "$script" bogus-action
  expect "unknown-$script" "refuses an unknown action" [ "$rc" = 1 ]
done

[ "$failures" -eq 0 ]
