#!/usr/bin/env bash
# Fetch the Debian arm64 kernel image + static busybox through apt, using a
# private apt list (the machine's own apt state is left untouched).
#
# Usage: tools/qemu/fetch.sh WORKDIR [SUITE [KPKG]]
#   SUITE: bookworm (default, 6.1), bullseye (5.10), trixie (6.12), trixie-backports (newer).
#   KPKG: the image package, e.g. linux-image-6.12.117+deb13-arm64-16k-unsigned; without it the
#   newest linux-image-6.1.0-NN-arm64 (-unsigned if available) is chosen from the suite(s).
#   The matching arm64 headers and the host's (amd64) linux-kbuild are fetched too, for build-module.sh.
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
  bullseye) MAIN="bullseye bullseye-updates"; SEC="" ;;   # bullseye-security lists files it no longer serves
  trixie-backports) MAIN="trixie trixie-updates trixie-backports"; SEC="trixie-security" ;;
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
   -oAPT::Architecture=arm64 -oAPT::Architectures::=arm64 -oAPT::Architectures::=amd64)
mkdir -p "$A/cache/archives/partial"
apt-get "${o[@]}" update
case $SUITE in bookworm) KPAT='^linux-image-6\.1\.0-[0-9]+-arm64(-unsigned)?$' ;;
               trixie)   KPAT='^linux-image-6\.12\.[0-9.]*\+deb13-arm64(-unsigned)?$|^linux-image-6\.12\.[0-9]+-[0-9]+-arm64(-unsigned)?$' ;;
               *)        KPAT='^linux-image-[0-9.]+-[0-9]+-arm64(-unsigned)?$' ;; esac
# choose the unsigned variant of the newest ABI when present
KPKG=${3-}
if [ -z "$KPKG" ]; then
  NEWEST=$(apt-cache "${o[@]}" pkgnames linux-image- | grep -E "$KPAT" | sed 's/-unsigned$//' | sort -Vu | tail -n1)
  if apt-cache "${o[@]}" pkgnames "$NEWEST-unsigned" | grep -qx "$NEWEST-unsigned"; then KPKG="$NEWEST-unsigned"; else KPKG="$NEWEST"; fi
fi
echo "kernel package: $KPKG"
cd "$W/pkgs"
rm -f linux-image-*.deb linux-kbuild-*.deb busybox-static_*.deb
rm -f linux-binary-*.deb linux-base-*.deb
# 7.x splits the image: linux-image-X is an empty package depending on linux-binary-X (the
# kernel, as /usr/lib/modules/<kver>/vmlinuz) and linux-base-X (its config, System.map)
SPLIT=$(apt-cache "${o[@]}" show "$KPKG" | sed -n '/^Depends:/{s/^Depends://;s/([^)]*)//g;s/,/\n/g;p;q}' \
        | tr -d ' ' | grep -E '^linux-(binary|base)-' || true)
apt-get "${o[@]}" download "$KPKG" $SPLIT busybox-static
for d in *.deb; do dpkg -x "$d" "$W/root"; done
# the split layout, linked to where boot.sh and run-matrix.sh look (/boot/vmlinuz-<kver>, config-<kver>)
for v in "$W"/root/usr/lib/modules/*/vmlinuz; do
  [ -f "$v" ] || continue; k=$(basename "$(dirname "$v")"); mkdir -p "$W/root/boot"
  ln -sfn "../usr/lib/modules/$k/vmlinuz" "$W/root/boot/vmlinuz-$k"
  ln -sfn "../usr/lib/modules/$k/config" "$W/root/boot/config-$k"
done
KVER=$(ls "$W/root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)
# the host-architecture kbuild tools of the same line (fixdep, modpost), unpacked, not installed
KBPKG=$(apt-cache "${o[@]}" show "linux-headers-$KVER" 2>/dev/null | sed -n 's/^Depends:.*\(linux-kbuild-[^ ,]*\).*/\1/p' | head -n1)
if [ -n "$KBPKG" ]; then
  apt-get "${o[@]}" download "$KBPKG:amd64" && dpkg -x "$KBPKG"_*_amd64.deb "$W/root" || true
fi
{
  echo "KVER=$KVER"
  echo "KPKG=$KPKG"
  echo "KPKG_VERSION=$(dpkg-deb -f "$W"/pkgs/linux-image-*.deb Version)"
  echo "BB_VERSION=$(dpkg-deb -f "$W"/pkgs/busybox-static_*.deb Version)"
  echo "SUITE=$SUITE"
  echo "KBPKG=$KBPKG"
} > "$W/kernel.env"
cat "$W/kernel.env"
