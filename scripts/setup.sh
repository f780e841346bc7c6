#!/usr/bin/env bash
# Installs the Debian packages cardline builds and tests with, if any is missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail
PACKAGES=(pkg-config libpcsclite-dev libudev-dev pcscd vsmartcard-vpcd pcsc-tools opensc yubico-piv-tool fonts-dejavu-core
  cups cups-filters printer-driver-gutenprint  # Magicard streams the simulator must accept
  postgresql openssl  # the throwaway PostgreSQL server of the tests (scripts/with-postgres.sh)
  libusb-1.0-0-dev dpkg-dev lintian  # the Debian package (make deb, scripts/test-deb.sh)
  chromium chromium-driver)  # the console's real-browser test (cli/tests/console_browser.rs)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v cargo >/dev/null; then
  echo "setup: cargo is not installed: install Rust from https://rustup.rs (rust-version 1.89 or newer)" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
  echo "setup: installing ${missing[*]}"
  bash -c "$cmd"
else
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root:  sudo bash -c '$cmd'" >&2
  exit 1
fi
