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
   -oAPT::Architecture=arm64 -oAPT::Architectures::=arm64 -oAPT::Architectures::=amd64)
mkdir -p "$W/hdr"; cd "$W/hdr"; rm -f *.deb
# arch-independent "common" headers name: linux-headers-<abi>-common
ABI=${KVER%-arm64*}      # 6.12.117+deb13-arm64-16k -> 6.12.117+deb13
apt-get "${o[@]}" download "linux-headers-$KVER" "linux-headers-$ABI-common"
rm -rf "$W/hroot"; for d in *.deb; do dpkg -x "$d" "$W/hroot"; done
H="$W/hroot/usr/src/linux-headers-$KVER"; C="$W/hroot/usr/src/linux-headers-$ABI-common"
KB=$(readlink "$H/scripts"); KB=/usr/lib/${KB#../../lib/}; KB=${KB%/scripts}
# fetch.sh unpacked the host kbuild into WORKDIR/root; an installed one works as well
[ -d "$W/root$KB" ] && KB="$W/root$KB"
# KBUILD_DIR overrides it: trixie's kbuild needs glibc 2.38, so on a bookworm host give
# bookworm-backports' linux-kbuild-6.12.*+deb12 (same line; fixdep and modpost are all it uses)
KB=${KBUILD_DIR:-$KB}
[ -d "$KB" ] || { echo "host package for $KB missing (apt-get install $(basename "$KB"))"; exit 1; }
sed -i "s|/usr/src/linux-headers-$ABI-common|$C|" "$H/Makefile"
for d in "$H" "$C"; do ln -sfn "$KB/scripts" "$d/scripts"; ln -sfn "$KB/tools" "$d/tools"; done
rm -rf "$W/mod"; mkdir -p "$W/mod"; cp "$HERE/ptdump-mod/"* "$W/mod/"
# the compiler the kernel was built with (gcc-10 for 5.10, gcc-14 for 6.12) when the host has it,
# else the host's aarch64 cross gcc: a module needs the same ABI, not the same compiler release
GCC=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(aarch64-linux-gnu-\)\{0,1\}\(gcc-[0-9]*\).*/\2/p' "$H/.config")
# (an older gcc lacks -fmin-function-alignment, which only aligns functions: the module's own)
# (BTF for modules needs pahole; the module has no use for it)
EXTRA=(CONFIG_DEBUG_INFO_BTF_MODULES=)
command -v "aarch64-linux-gnu-$GCC" >/dev/null || { GCC=gcc; EXTRA+=(CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=); }
make -C "$H" M="$W/mod" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-$GCC "${EXTRA[@]}" modules
ls -l "$W/mod/ptdump_mod.ko"
