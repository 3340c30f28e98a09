#!/usr/bin/env bash
# Cross-build tools/qemu/ptdump-mod against Debian's arm64 linux-headers package.
# Usage: tools/qemu/build-module.sh WORKDIR     (after fetch.sh)
# Needs on the host (amd64 Debian): gcc-aarch64-linux-gnu (gcc-12 cross), make,
#   linux-kbuild-X.Y of the same version as the kernel (host-arch build tools).
# CHROOT=DIR: run make inside that Debian root instead (a debootstrapped trixie: its glibc runs
#   trixie's kbuild tools, its gcc-14 cross compiler is the kernel's own); WORKDIR is
#   bind-mounted at the same path inside it for the build.  See README.md.
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
# (7.x's Makefile also names its own directory: KBUILD_OUTPUT=/usr/src/linux-headers-<kver>)
sed -i -e "s|/usr/src/linux-headers-$ABI-common|$C|" -e "s|^KBUILD_OUTPUT=/usr/src/linux-headers-$KVER\$|KBUILD_OUTPUT=$H|" "$H/Makefile"
for d in "$H" "$C"; do ln -sfn "$KB/scripts" "$d/scripts"; ln -sfn "$KB/tools" "$d/tools"; done
rm -rf "$W/mod"; mkdir -p "$W/mod"; cp "$HERE/ptdump-mod/"* "$W/mod/"
RUN=()
if [ -n "${CHROOT-}" ]; then
  CHROOT=$(cd "$CHROOT" && pwd)
  [ -x "$CHROOT/usr/bin/make" ] || { echo "CHROOT=$CHROOT has no make (see README.md)"; exit 1; }
  mkdir -p "$CHROOT$W"
  mountpoint -q "$CHROOT$W" || mount --bind "$W" "$CHROOT$W"
  trap 'umount "$CHROOT$W" 2>/dev/null || true' EXIT
  RUN=(chroot "$CHROOT" env PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C)
fi
# the compiler the kernel was built with (gcc-10 for 5.10, gcc-14 for 6.12) when the host has it,
# else the host's aarch64 cross gcc: a module needs the same ABI, not the same compiler release
GCC=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(aarch64-linux-gnu-\)\{0,1\}\(gcc-[0-9]*\).*/\2/p' "$H/.config")
# (an older gcc lacks -fmin-function-alignment, which only aligns functions: the module's own)
# (BTF for modules needs pahole; the module has no use for it)
EXTRA=(CONFIG_DEBUG_INFO_BTF_MODULES=)
"${RUN[@]}" sh -c 'command -v "$1"' sh "aarch64-linux-gnu-$GCC" >/dev/null || { GCC=gcc; EXTRA+=(CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=); }
"${RUN[@]}" make -C "$H" M="$W/mod" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-$GCC "${EXTRA[@]}" modules
ls -l "$W/mod/ptdump_mod.ko"
