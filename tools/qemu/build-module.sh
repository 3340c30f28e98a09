#!/usr/bin/env bash
# Cross-build tools/qemu/ptdump-mod against Debian's arm64 linux-headers package.
# Usage: tools/qemu/build-module.sh WORKDIR     (after fetch.sh)
# Needs on the host (amd64 Debian): gcc-aarch64-linux-gnu (gcc-12 cross), make,
#   linux-kbuild-X.Y of the same version as the kernel (host-arch build tools).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(cd "${1:?workdir}" && pwd); . "$W/kernel.env"
A="$W/apt"
o=(-oDir::State::Lists="$A/lists" -oDir::Etc::SourceList=/dev/null
   -oDir::Etc::SourceParts="$A/parts" -oDir::Cache="$A/cache"
   -oAPT::Architecture=arm64 -oAPT::Architectures=arm64)
mkdir -p "$W/hdr"; cd "$W/hdr"; rm -f *.deb
# arch-independent "common" headers name: linux-headers-<abi>-common
ABI=${KVER%-arm64}
apt-get "${o[@]}" download "linux-headers-$KVER" "linux-headers-$ABI-common"
rm -rf "$W/hroot"; for d in *.deb; do dpkg -x "$d" "$W/hroot"; done
H="$W/hroot/usr/src/linux-headers-$KVER"; C="$W/hroot/usr/src/linux-headers-$ABI-common"
KB=$(readlink "$H/scripts"); KB=/usr/lib/${KB#../../lib/}; KB=${KB%/scripts}
[ -d "$KB" ] || { echo "host package for $KB missing (apt-get install $(basename "$KB"))"; exit 1; }
sed -i "s|/usr/src/linux-headers-$ABI-common|$C|" "$H/Makefile"
for d in "$H" "$C"; do ln -sfn "$KB/scripts" "$d/scripts"; ln -sfn "$KB/tools" "$d/tools"; done
rm -rf "$W/mod"; mkdir -p "$W/mod"; cp "$HERE/ptdump-mod/"* "$W/mod/"
GCC=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(gcc-[0-9]*\).*/\1/p' "$H/.config")
make -C "$H" M="$W/mod" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-$GCC modules
ls -l "$W/mod/ptdump_mod.ko"
