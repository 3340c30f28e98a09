#!/usr/bin/env bash
# Fetch the Debian arm64 kernel image + static busybox through apt, using a
# private apt list (the machine's own apt state is left untouched).
#
# Usage: tools/qemu/fetch.sh WORKDIR [SUITE]
#   SUITE defaults to bookworm (kernel 6.1; the only suite this was run with).  The newest linux-image-6.1.0-NN-arm64
#   (-unsigned if available) is chosen from the suite(s).
# Result: WORKDIR/pkgs/*.deb, WORKDIR/root/ (dpkg -x of every package),
#         WORKDIR/kernel.env  (KVER, KPKG, KPKG_VERSION, BB_VERSION)
# Host needs: apt-get, dpkg (Debian/Ubuntu host with deb.debian.org reachable),
#   plus `apt-get install qemu-system-arm device-tree-compiler cpio`.
set -euo pipefail
W=${1:?workdir}; SUITE=${2:-bookworm}
mkdir -p "$W"; W=$(cd "$W" && pwd)
A="$W/apt"; mkdir -p "$A/lists/partial" "$A/parts" "$W/pkgs" "$W/root"
case $SUITE in
  bookworm) MAIN="bookworm bookworm-updates"; SEC="bookworm-security" ;;
  trixie)   MAIN="trixie trixie-updates";     SEC="trixie-security" ;;
  *)        MAIN="$SUITE"; SEC="" ;;
esac
cat > "$A/parts/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $MAIN
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
if [ -n "$SEC" ]; then cat >> "$A/parts/debian.sources" <<SRC

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SEC
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
o=(-oDir::State::Lists="$A/lists" -oDir::Etc::SourceList=/dev/null
   -oDir::Etc::SourceParts="$A/parts" -oDir::Cache="$A/cache"
   -oAPT::Architecture=arm64 -oAPT::Architectures=arm64)
mkdir -p "$A/cache/archives/partial"
apt-get "${o[@]}" update
case $SUITE in bookworm) KPAT='^linux-image-6\.1\.0-[0-9]+-arm64(-unsigned)?$' ;;
               trixie)   KPAT='^linux-image-6\.12\.[0-9.]*\+deb13-arm64(-unsigned)?$|^linux-image-6\.12\.[0-9]+-[0-9]+-arm64(-unsigned)?$' ;;
               *)        KPAT='^linux-image-[0-9.]+-[0-9]+-arm64(-unsigned)?$' ;; esac
# choose the unsigned variant of the newest ABI when present
NEWEST=$(apt-cache "${o[@]}" pkgnames linux-image- | grep -E "$KPAT" | sed 's/-unsigned$//' | sort -Vu | tail -n1)
if apt-cache "${o[@]}" pkgnames "$NEWEST-unsigned" | grep -qx "$NEWEST-unsigned"; then KPKG="$NEWEST-unsigned"; else KPKG="$NEWEST"; fi
echo "kernel package: $KPKG"
cd "$W/pkgs"
rm -f linux-image-*.deb busybox-static_*.deb
apt-get "${o[@]}" download "$KPKG" busybox-static
for d in *.deb; do dpkg -x "$d" "$W/root"; done
KVER=$(ls "$W/root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)
{
  echo "KVER=$KVER"
  echo "KPKG=$KPKG"
  echo "KPKG_VERSION=$(dpkg-deb -f "$W"/pkgs/linux-image-*.deb Version)"
  echo "BB_VERSION=$(dpkg-deb -f "$W"/pkgs/busybox-static_*.deb Version)"
  echo "SUITE=$SUITE"
} > "$W/kernel.env"
cat "$W/kernel.env"
