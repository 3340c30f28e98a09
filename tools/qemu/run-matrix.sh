#!/usr/bin/env bash
# Reproduce test/fixtures/qemu/<kver-short>/...   (run by hand; never part of the tests)
#
#   [KERNEL=5.10|6.1|6.12|6.12-lpa2|6.12-16k|7.3] tools/qemu/run-matrix.sh WORKDIR [all|main|nomap|numa|cpumax|kaslr]...
#
# KERNEL picks the Debian kernel, the CPU and the fixture folder (default 6.1):
#   5.10       bullseye linux-image-5.10.0-32-arm64-unsigned (5.10.223), cortex-a57
#   6.1        bookworm's newest linux-image-6.1.0-NN-arm64-unsigned, cortex-a57
#   6.12       trixie linux-image-6.12.117+deb13-arm64-unsigned, -cpu max,lpa2=off (48-bit VA)
#   6.12-lpa2  the same kernel, -cpu max (FEAT_LPA2: 52-bit VA, 5 levels)
#   6.12-16k   trixie linux-image-6.12.117+deb13-arm64-16k-unsigned, -cpu max,lpa2=off (47-bit VA)
#   7.3        trixie-backports linux-image-7.3.4+deb13-arm64 (signed: there is no -unsigned; the
#              kernel itself is in linux-binary-*), -cpu max,lpa2=off; its module needs trixie's
#              kbuild and gcc-14: CHROOT=<debootstrapped trixie> (see README.md)
# One WORKDIR per kernel package (6.12 and 6.12-lpa2 may share one).
#
# WORKDIR is scratch space outside the repo (needs ~400 MB).  Steps:
#   fetch.sh (apt, private lists) -> build-module.sh -> build-initramfs.sh -> boots
# Host packages: qemu-system-arm device-tree-compiler cpio gcc-aarch64-linux-gnu
#                make linux-kbuild-6.1
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/../.." && pwd)
W=${1:?workdir}; shift; mkdir -p "$W"; W=$(cd "$W" && pwd)
SETS=("${@:-all}")
KERNEL=${KERNEL:-6.1}
CPU=cortex-a57; TAGS_NEW=
case $KERNEL in
  6.1)       SUITE=bookworm; KPKG=linux-image-6.1.0-56-arm64-unsigned ;;
  5.10)      SUITE=bullseye; KPKG=linux-image-5.10.0-32-arm64-unsigned ;;
  6.12)      SUITE=trixie;   KPKG=linux-image-6.12.117+deb13-arm64-unsigned;     CPU=max,lpa2=off ;;
  6.12-lpa2) SUITE=trixie;   KPKG=linux-image-6.12.117+deb13-arm64-unsigned;     CPU=max ;;
  6.12-16k)  SUITE=trixie;   KPKG=linux-image-6.12.117+deb13-arm64-16k-unsigned; CPU=max,lpa2=off ;;
  7.3)       SUITE=trixie-backports; KPKG=linux-image-7.3.4+deb13-arm64;         CPU=max,lpa2=off ;;
  *) echo "unknown KERNEL=$KERNEL"; exit 2 ;;
esac
# pointer authentication's architected algorithm is slow under TCG; the impdef one changes nothing here
case $CPU in max*) CPU=$CPU,pauth-impdef=on ;; esac
if [ ! -f "$W/kernel.env" ]; then "$HERE/fetch.sh" "$W" "$SUITE" $KPKG; fi
[ -f "$W/mod/ptdump_mod.ko" ] || "$HERE/build-module.sh" "$W"
[ -f "$W/initrd.gz" ] || "$HERE/build-initramfs.sh" "$W"
. "$W/kernel.env"
F="$REPO/test/fixtures/qemu/$KERNEL"
mkdir -p "$F"
grep -E 'KFENCE|RODATA|ZONE_DMA|UNMAP_KERNEL|ARM64_MTE|PGTABLE_LEVELS|ARM64_VA_BITS|ARM64_PA_BITS|ARM64_PAGE_SHIFT|KEXEC|CRASH|DEBUG_PAGEALLOC|RANDOMIZE_BASE|ARM64_(4K|16K|64K)_PAGES|PTDUMP|DEBUG_WX|ARM64_LPA2|ARM64_E0PD|ARM64_BTI|ARM64_PAN|CONFIG_CMA=|DMA_CMA|CMA_SIZE|CONFIG_NUMA=|NODES_SHIFT|DEFERRED_STRUCT|MEMORY_HOTPLUG=|SPARSEMEM_VMEMMAP=|STRICT_KERNEL_RWX|STRICT_MODULE_RWX|ARM64_SW_TTBR0_PAN|KASAN=|HUGETLB_PAGE=|ARCH_FORCE_MAX_ORDER|FORCE_MAX_ZONEORDER|PAGE_EXTENSION|SPARSEMEM_EXTREME|CC_VERSION_TEXT' \
  "$W/root/boot/config-$KVER" > "$F/config-$KVER.relevant"

want() { local s; for s in "${SETS[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done; return 1; }
boot() { NORESERVE=${NORESERVE-} MACHINE_OPTS=${MACHINE_OPTS-} QEMU_EXTRA=${QEMU_EXTRA-} "$HERE/boot.sh" "$W" "$F/$1" "${@:2}" || echo "  ($1 failed, continuing)"; }

declare -A CMD=(
  [default]=""            [rodata-on]="rodata=on"     [rodata-off]="rodata=off"
  [rodata-full]="rodata=full"
  [crashkernel-256M]="crashkernel=256M" [crashkernel-512M]="crashkernel=512M"
  [kpti-1]="kpti=1"
  [crashkernel-256M-rodata-on]="crashkernel=256M rodata=on"
  [crashkernel-512M-rodata-on]="crashkernel=512M rodata=on"
  [crashkernel-256M-rodata-off]="crashkernel=256M rodata=off"
  [crashkernel-256M-high-rodata-on]="crashkernel=256M,high rodata=on"
  [kpti-1-rodata-on]="kpti=1 rodata=on"
  [kfence-100]="kfence.sample_interval=100" )
TAGS=(default rodata-on rodata-off rodata-full crashkernel-256M crashkernel-512M kpti-1
      crashkernel-256M-rodata-on crashkernel-512M-rodata-on crashkernel-256M-rodata-off
      crashkernel-256M-high-rodata-on kpti-1-rodata-on)

# the kernels after 6.1: the set the fidelity issue asks for (KFENCE is v5.12+)
if [ "$KERNEL" != 6.1 ]; then
  TAGS=(default rodata-on rodata-off crashkernel-256M crashkernel-512M)
  [ "$KERNEL" = 5.10 ] || TAGS+=(kfence-100)
  : "${MEMS:=2G 8G}"
fi
if want main; then
  for mem in ${MEMS:-8G 2G 32G}; do
    nr=; [ "$mem" = 32G ] && nr=1
    for t in "${TAGS[@]}"; do NORESERVE=$nr boot "$mem-$t" "$mem" "nokaslr ${CMD[$t]}" "$CPU"; done
  done
fi
if want kaslr; then   # KASLR left on (QEMU virt supplies /chosen/kaslr-seed)
  # cortex-a57 has no E0PD, so KASLR forces KPTI; it has no 16K granule either, and no LPA2: the
  # 16K and LPA2 sets run on their -cpu max (which has E0PD: no KPTI)
  kcpu=cortex-a57; case $KERNEL in 6.12-lpa2|6.12-16k) kcpu=$CPU ;; esac
  boot 8G-kaslr 8G "" "$kcpu"
fi
if want nomap; then
  # QEMU's own DTB for this -m, plus a reserved-memory node with two no-map holes
  dtbdir="$W/dtb"; mkdir -p "$dtbdir"
  qemu-system-aarch64 -machine virt,dumpdtb="$dtbdir/virt-8G.dtb" -cpu "$CPU" -smp 1 -m 8G -nographic
  dtc -q -I dtb -O dts -o "$dtbdir/virt-8G.dts" "$dtbdir/virt-8G.dtb"
  # insert before the final "};" of the root node
  head -n -1 "$dtbdir/virt-8G.dts" > "$dtbdir/virt-8G-nomap.dts"
  cat "$HERE/reserved-memory.dtsi" >> "$dtbdir/virt-8G-nomap.dts"
  echo '};' >> "$dtbdir/virt-8G-nomap.dts"
  dtc -q -I dts -O dtb -o "$dtbdir/virt-8G-nomap.dtb" "$dtbdir/virt-8G-nomap.dts"
  cp "$HERE/reserved-memory.dtsi" "$F/nomap-reserved-memory.dtsi"
  boot 8G-nomap-default     8G "nokaslr"           "$CPU" "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-rodata-on   8G "nokaslr rodata=on" "$CPU" "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-rodata-off  8G "nokaslr rodata=off" "$CPU" "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-crashkernel-256M-rodata-on 8G "nokaslr crashkernel=256M rodata=on" "$CPU" "$dtbdir/virt-8G-nomap.dtb"
fi
if want numa; then
  # two memory nodes of 4 GiB each (the second without CPUs), as a two-socket machine has
  QEMU_EXTRA="-object memory-backend-ram,id=m0,size=4G -object memory-backend-ram,id=m1,size=4G -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,memdev=m1" \
    boot 8G-numa-default 8G "nokaslr" "$CPU"
  QEMU_EXTRA="-object memory-backend-ram,id=m0,size=4G -object memory-backend-ram,id=m1,size=4G -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,memdev=m1" \
    boot 8G-numa-rodata-on 8G "nokaslr rodata=on" "$CPU"
fi
if [ "$KERNEL" = 6.1 ] && want cpumax; then
  boot 8G-cpumax-default   8G "nokaslr"           max
  boot 8G-cpumax-rodata-on 8G "nokaslr rodata=on" max
  # MTE is only offered to the guest with virt,mte=on (TCG allocates tag RAM)
  MACHINE_OPTS=mte=on boot 8G-cpumax-mte-default   8G "nokaslr"           max
  MACHINE_OPTS=mte=on boot 8G-cpumax-mte-rodata-on 8G "nokaslr rodata=on" max
fi
