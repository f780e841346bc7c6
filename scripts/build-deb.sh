#!/usr/bin/env bash
# Builds the Debian package of cardline from this workspace, with dpkg-deb and no other
# packaging tool: <target>/debian/cardline_<version>-<revision>_<arch>.deb, where <target> is
# $CARGO_TARGET_DIR or ./target. Prints the package's path on its last line.
#
# What goes in is described in docs/packaging.md; the static files are in packaging/deb/, the
# generated ones (man pages, udev rules, completions) come from the release binary itself.
# scripts/test-deb.sh checks the result, lintian included.
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
root=$PWD
pkg=$root/packaging/deb
target=${CARGO_TARGET_DIR:-$root/target}
CARGO=${CARGO:-cargo}

die() {
  echo "build-deb: $*" >&2
  exit 1
}
for tool in dpkg-deb dpkg-parsechangelog dpkg-shlibdeps strip readelf gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing: run \`make setup\` (Debian packages dpkg-dev, binutils)"
done

# The release binary. `make test` builds it together with the benches (one cargo invocation,
# one feature resolution) and passes the same arguments here, so this build is a no-op then.
# DEB_BINARY=PATH packages a binary built already (e.g. target/debug/cardline, for a quick
# `scripts/test-deb.sh` while developing) instead of building the release one: the package is
# the same but for the binary's speed and size. `make deb` always packages the release build.
if [ -n "${DEB_BINARY:-}" ]; then
  bin=$DEB_BINARY
  [ -x "$bin" ] || die "DEB_BINARY=$bin is not an executable file"
else
  # shellcheck disable=SC2086
  $CARGO build --release ${DEB_CARGO_ARGS:--p cardline}
  bin=$target/release/cardline
fi
version=$("$bin" --version | awk '{print $2}')

# The package version comes from packaging/deb/changelog, whose newest entry must be for this
# cardline version.
deb_version=$(dpkg-parsechangelog -l "$pkg/changelog" -S Version)
[ "${deb_version%-*}" = "$version" ] ||
  die "packaging/deb/changelog's newest entry is $deb_version but cardline is $version: add an entry for $version-1 at the top of packaging/deb/changelog"
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$pkg/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
arch=$(dpkg --print-architecture)

out=$target/debian
stage=$out/cardline_${deb_version}_$arch
rm -rf "$stage"
install -d "$stage/DEBIAN"
d() { install -d "$stage/$1"; }

# The binary, stripped as dh_strip would. libusb must be Debian's shared library: a copy
# compiled in (what libusb1-sys does when libusb-1.0-0-dev is missing) would put LGPL code
# inside the binary and escape Debian's security updates.
d usr/bin
install -m 0755 "$bin" "$stage/usr/bin/cardline"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/cardline"
readelf -d "$stage/usr/bin/cardline" | grep -q 'NEEDED.*libusb-1\.0\.so' ||
  die "the binary has libusb compiled in: install libusb-1.0-0-dev (make setup), then \`cargo clean --release -p libusb1-sys\` and run again"

# udev rules from the drivers' vendor ids; systemd units; the defaults file.
d usr/lib/udev/rules.d
"$bin" dist udev-rules >"$stage/usr/lib/udev/rules.d/60-cardline.rules"
d usr/lib/systemd/system
install -m 0644 "$pkg/cardline-desk.service" "$pkg/cardline-console.service" "$stage/usr/lib/systemd/system/"
d etc/default
install -m 0644 "$pkg/cardline.default" "$stage/etc/default/cardline"

# Man pages from the clap definitions, compressed without names or times (reproducible).
d usr/share/man/man1
"$bin" dist man --date "$date" "$stage/usr/share/man/man1" >/dev/null
gzip -9n "$stage"/usr/share/man/man1/*.1

# Shell completions where bash-completion, zsh and fish look for them.
d usr/share/bash-completion/completions
"$bin" completions bash >"$stage/usr/share/bash-completion/completions/cardline"
d usr/share/zsh/vendor-completions
"$bin" completions zsh >"$stage/usr/share/zsh/vendor-completions/_cardline"
d usr/share/fish/vendor_completions.d
"$bin" completions fish >"$stage/usr/share/fish/vendor_completions.d/cardline.fish"

# Documentation: changelog, README.Debian, and the copyright file with the crates linked in.
doc=usr/share/doc/cardline
d "$doc"
gzip -9n <"$pkg/changelog" >"$stage/$doc/changelog.Debian.gz"
install -m 0644 "$pkg/README.Debian" "$stage/$doc/README.Debian"
crates=$($CARGO tree -p cardline -e normal,no-proc-macro --prefix none --format '{p}|{l}' \
  --target "$(rustc -vV | sed -n 's/^host: //p')" |
  grep -v ' (/' | sed 's/ (\*)$//' | sort -u | awk -F'|' '{ printf " %s: %s\n", $1, $2 }')
[ -n "$crates" ] || die "cargo tree listed no crate for the copyright file"
dejavu=$(sed -n '/^License: bitstream-vera/,/^$/p' issuance/assets/fonts/LICENSE-DejaVu.txt | sed '/^$/d')
[ -n "$dejavu" ] || die "no bitstream-vera licence paragraph in issuance/assets/fonts/LICENSE-DejaVu.txt"
awk -v crates="$crates" -v dejavu="$dejavu" '
  $0 == "@CRATES@" { print crates; next }
  $0 == "@DEJAVU_LICENSE@" { print dejavu; next }
  { print }' "$pkg/copyright.in" >"$stage/$doc/copyright"

# lintian overrides, each with its reason (packaging/deb/lintian-overrides).
if [ -s "$pkg/lintian-overrides" ]; then
  d usr/share/lintian/overrides
  install -m 0644 "$pkg/lintian-overrides" "$stage/usr/share/lintian/overrides/cardline"
fi

# Control area: maintainer scripts, conffiles, md5sums, control with computed dependencies.
install -m 0755 "$pkg/postinst" "$pkg/prerm" "$pkg/postrm" "$stage/DEBIAN/"
install -m 0644 "$pkg/conffiles" "$stage/DEBIAN/conffiles"
shlibs_dir=$(mktemp -d)
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir "$shlibs_dir/debian"
printf 'Source: cardline\n\nPackage: cardline\nArchitecture: any\n' >"$shlibs_dir/debian/control"
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$stage/usr/bin/cardline" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no shared-library dependency of usr/bin/cardline"
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@ARCH@/$arch/" \
  -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@SHLIBS@/$shlibs/" \
  "$pkg/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/md5sums"

# Same times and modes whoever builds it, then the archive (root-owned files).
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
deb=$out/cardline_${deb_version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
