#!/usr/bin/env bash
# Tests the Debian package: builds it (scripts/build-deb.sh), unpacks it, checks every file it
# must hold, runs the packaged binary, runs lintian (no error, no warning that is not justified
# in packaging/deb/lintian-overrides), checks the units with systemd-analyze and the maintainer
# scripts with sh -n and in a private mount namespace with stubbed system commands.
# Ends with "test-deb: N passed, N failed"; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CARGO=${CARGO:-cargo}
passed=0
failed=0
ok() {
  echo "ok - $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL - $1" >&2
  failed=$((failed + 1))
}
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
skipped() { echo "skipped: $*"; }
finish() {
  echo "test-deb: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# Without the Debian tools there is nothing to test: said visibly, not failed (`make setup`
# installs them, so `make test` always has them).
for tool in dpkg-deb lintian; do
  if ! command -v "$tool" >/dev/null; then
    skipped "$tool is not installed (Debian packages dpkg-dev, lintian: run \`make setup\`): the package is not tested"
    exit 0
  fi
done

deb=$(bash scripts/build-deb.sh | tail -n 1)
if [ ! -f "$deb" ]; then
  fail "scripts/build-deb.sh builds a package"
  finish
fi
ok "scripts/build-deb.sh builds $(basename "$deb")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/root
dpkg-deb -x "$deb" "$tree"
dpkg-deb -e "$deb" "$work/DEBIAN"

# --- the binary ---------------------------------------------------------------------------
ws_version=$($CARGO pkgid -p cardline | sed 's/.*[#@]//')
check "usr/bin/cardline is an executable ELF file" \
  bash -c '[ -x "$1" ] && head -c 4 "$1" | grep -q ELF' _ "$tree/usr/bin/cardline"
got=$("$tree/usr/bin/cardline" --version)
check "the packaged cardline --version says \"$got\", the workspace version is $ws_version" \
  [ "$got" = "cardline $ws_version" ]
check "the packaged \`cardline doctor\` finds no database in an empty home: a problem, exit 1" \
  bash -c 'out=$("$1" --home "$2/no-home" doctor 2>&1); [ $? -eq 1 ] && grep -q "^problem  home     database: " <<<"$out"' _ "$tree/usr/bin/cardline" "$work"
check "the binary is stripped (no .symtab)" \
  bash -c '! readelf -S "$1" | grep -q "\.symtab"' _ "$tree/usr/bin/cardline"
check "the binary uses Debian's libusb, not a compiled-in copy" \
  bash -c 'readelf -d "$1" | grep -q "NEEDED.*libusb-1\.0\.so"' _ "$tree/usr/bin/cardline"
deb_version=$(dpkg-deb -f "$deb" Version)
check "the package version $deb_version is the workspace version plus a Debian revision" \
  [ "${deb_version%-*}" = "$ws_version" ]

# --- control fields -----------------------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
for dep in adduser pcscd libpcsclite1 libc6 libudev1 libusb-1.0-0; do
  check "Depends names $dep ($depends)" grep -qE "(^|, )$dep( |,|$)" <<<"$depends"
done
check "conffiles lists /etc/default/cardline" grep -qx /etc/default/cardline "$work/DEBIAN/conffiles"
check "etc/default/cardline documents CARDLINE_HOME" grep -q '^#CARDLINE_HOME=/var/lib/cardline' "$tree/etc/default/cardline"

# --- udev rules: exactly the vendor ids the drivers export ---------------------------------
rules=$tree/usr/lib/udev/rules.d/60-cardline.rules
exported=$(grep -rhoE 'pub const [A-Z_]+_VENDOR_ID: u16 = 0x[0-9A-Fa-f]{4}' drivers/*/src |
  sed 's/.*0x//' | tr 'A-F' 'a-f' | sort -u | paste -sd' ')
in_rules=$(grep -v '^#' "$rules" | grep -oE 'ATTR\{idVendor\}=="[0-9a-f]{4}"' |
  grep -oE '[0-9a-f]{4}' | sort | paste -sd' ')
check "the drivers export vendor ids ($exported)" [ -n "$exported" ]
check "the udev rules list exactly the drivers' vendor ids (rules: $in_rules)" [ "$in_rules" = "$exported" ]
rule_lines=$(grep -c '^SUBSYSTEM==' "$rules")
check "every udev rule gives the cardline group rw (0660) on the usb_device node" \
  [ "$(grep '^SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="[0-9a-f]\{4\}", MODE="0660", GROUP="cardline"$' "$rules" | wc -l)" = "$rule_lines" ]

# --- systemd units ------------------------------------------------------------------------
units=$tree/usr/lib/systemd/system
declare -A exec_of=([cardline-desk.service]="desk run" [cardline-console.service]="serve")
for unit in cardline-desk.service cardline-console.service; do
  f=$units/$unit
  if [ ! -f "$f" ]; then
    fail "$unit is in the package"
    continue
  fi
  missing=()
  for line in "User=cardline" "Group=cardline" "SupplementaryGroups=cardline" \
    "StateDirectory=cardline" "Environment=CARDLINE_HOME=/var/lib/cardline" \
    "EnvironmentFile=-/etc/default/cardline" "ExecStart=/usr/bin/cardline ${exec_of[$unit]}" \
    "Restart=on-failure" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
    "PrivateTmp=yes" "ReadWritePaths=/var/lib/cardline" "WantedBy=multi-user.target"; do
    grep -qE "^${line}( |$)" "$f" || missing+=("$line")
  done
  check "$unit runs as cardline, sandboxed, with its home and defaults file (missing: ${missing[*]:-none})" \
    [ ${#missing[@]} -eq 0 ]
done
check "cardline-desk.service may open USB and serial printers and nothing else" \
  bash -c 'grep -qx "DevicePolicy=closed" "$1" && grep -qx "DeviceAllow=char-usb_device rw" "$1" && ! grep -q "^PrivateDevices=yes" "$1"' _ "$units/cardline-desk.service"
check "cardline-console.service sees no device" grep -qx "PrivateDevices=yes" "$units/cardline-console.service"
check "the package enables no unit (no symlink under etc/systemd, no enable in a maintainer script)" \
  bash -c '[ ! -e "$1/etc/systemd" ] && ! grep -qw enable "$2"/postinst "$2"/prerm "$2"/postrm' _ "$tree" "$work/DEBIAN"
for unit in cardline-desk.service cardline-console.service; do
  sub=${exec_of[$unit]}
  if "$tree/usr/bin/cardline" $sub --help >/dev/null 2>&1; then
    ok "\`cardline $sub\` (ExecStart of $unit) exists"
  else
    skipped "\`cardline $sub\` (ExecStart of $unit) is not in this build yet; the unit fails until it is"
  fi
done
if command -v systemd-analyze >/dev/null; then
  # Offline: the units point at the unpacked binary, man pages are not looked up.
  mkdir "$work/units"
  for unit in cardline-desk.service cardline-console.service; do
    sed "s#/usr/bin/cardline#$tree/usr/bin/cardline#" "$units/$unit" >"$work/units/$unit"
  done
  verify=$(systemd-analyze verify --man=no "$work"/units/*.service 2>&1)
  check "systemd-analyze verify finds nothing to say about the units${verify:+: $verify}" [ -z "$verify" ]
  for unit in cardline-desk.service cardline-console.service; do
    exposure=$(systemd-analyze security --offline=true --threshold=20 "$work/units/$unit" 2>&1)
    rc=$?
    check "$unit: $(grep -o 'Overall exposure level.*' <<<"$exposure") (at most 2.0)" [ $rc -eq 0 ]
  done
else
  skipped "systemd-analyze is missing (Debian package systemd): units not verified offline"
fi

# --- man pages and completions ------------------------------------------------------------
man=$tree/usr/share/man/man1
for page in cardline cardline-order cardline-order-create cardline-printers-list; do
  check "man page $page.1.gz is valid gzip and titled $page" \
    bash -c 'gzip -t "$1" && zcat "$1" | grep -q "^\.TH $2 1 "' _ "$man/$page.1.gz" "$page"
done
check "no man page for the hidden \`dist\` command" bash -c '! ls "$1" | grep -q "^cardline-dist"' _ "$man"
pages=$(ls "$man" | wc -l)
check "one man page per command ($pages pages, at least 40)" [ "$pages" -ge 40 ]
comp=$tree/usr/share
check "bash completion parses and completes cardline" \
  bash -c 'bash -n "$1" && grep -q "complete -F _cardline .* cardline$" "$1"' _ "$comp/bash-completion/completions/cardline"
check "zsh completion is a #compdef for cardline" \
  bash -c 'head -n 1 "$1" | grep -qx "#compdef cardline"' _ "$comp/zsh/vendor-completions/_cardline"
check "fish completion completes cardline" grep -q '^complete -c cardline ' "$comp/fish/vendor_completions.d/cardline.fish"

# --- documentation ------------------------------------------------------------------------
doc=$tree/usr/share/doc/cardline
check "copyright is machine-readable (DEP-5) with the workspace licence" \
  bash -c 'head -n 1 "$1" | grep -q copyright-format/1.0 && grep -qx "License: Apache-2.0 or Expat" "$1"' _ "$doc/copyright"
check "copyright lists the crates linked in (rusqlite among them)" grep -q '^ rusqlite v' "$doc/copyright"
check "changelog.Debian.gz's newest entry is $deb_version" \
  bash -c 'zcat "$1" | head -n 1 | grep -qF "cardline ($2)"' _ "$doc/changelog.Debian.gz" "$deb_version"

# --- maintainer scripts -------------------------------------------------------------------
for script in postinst prerm postrm; do
  check "$script parses (sh -n)" sh -n "$work/DEBIAN/$script"
done
bash scripts/test-deb-maintscripts.sh "$work/DEBIAN"
case $? in
  0) ok "maintainer scripts: user, group and home on install; upgrades and purge keep the home" ;;
  77) ;; # skipped, said why
  *) fail "maintainer scripts behave (see above)" ;;
esac

# --- lintian ------------------------------------------------------------------------------
echo "lintian $(lintian --version | awk '{print $2}') on $(basename "$deb"):"
# (--show-overrides would make overridden warnings fail: the overrides are listed from the file.)
lintian_out=$(lintian --fail-on error,warning --display-info --pedantic "$deb" 2>&1)
rc=$?
grep -v 'running with root privileges is not recommended' <<<"$lintian_out" | sed 's/^/  /'
grep -h '^cardline: ' packaging/deb/lintian-overrides | sed 's/^/  overridden (reason in packaging\/deb\/lintian-overrides): /'
check "lintian: no error, no warning without a justified override" [ $rc -eq 0 ]

finish
