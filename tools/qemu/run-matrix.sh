#!/usr/bin/env bash
# Reproduce test/fixtures/qemu/<kver-short>/...   (run by hand; never part of the tests)
#
#   tools/qemu/run-matrix.sh WORKDIR [all|main|nomap|cpumax|kaslr]...
#
# WORKDIR is scratch space outside the repo (needs ~400 MB).  Steps:
#   fetch.sh (apt, private lists) -> build-module.sh -> build-initramfs.sh -> boots
# Host packages: qemu-system-arm device-tree-compiler cpio gcc-aarch64-linux-gnu
#                make linux-kbuild-6.1
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/../.." && pwd)
W=${1:?workdir}; shift; mkdir -p "$W"; W=$(cd "$W" && pwd)
SETS=("${@:-all}")
if [ ! -f "$W/kernel.env" ]; then "$HERE/fetch.sh" "$W" bookworm; fi
[ -f "$W/mod/ptdump_mod.ko" ] || "$HERE/build-module.sh" "$W"
[ -f "$W/initrd.gz" ] || "$HERE/build-initramfs.sh" "$W"
. "$W/kernel.env"
V=$(echo "$KVER" | cut -d. -f1,2)          # 6.1
F="$REPO/test/fixtures/qemu/$V"
mkdir -p "$F"
grep -E 'KFENCE|RODATA|ZONE_DMA|UNMAP_KERNEL|ARM64_MTE|PGTABLE_LEVELS|ARM64_VA_BITS|ARM64_PA_BITS|ARM64_PAGE_SHIFT|KEXEC|CRASH|DEBUG_PAGEALLOC|RANDOMIZE_BASE|ARM64_4K_PAGES|PTDUMP|DEBUG_WX|ARM64_LPA2|ARM64_E0PD|ARM64_BTI|ARM64_PAN|CONFIG_CMA=|CMA_SIZE|DEFERRED_STRUCT|MEMORY_HOTPLUG=|SPARSEMEM_VMEMMAP=|STRICT_KERNEL_RWX|STRICT_MODULE_RWX|ARM64_SW_TTBR0_PAN|KASAN=|HUGETLB_PAGE=|ARCH_FORCE_MAX_ORDER|FORCE_MAX_ZONEORDER|CC_VERSION_TEXT' \
  "$W/root/boot/config-$KVER" > "$F/config-$KVER.relevant"

want() { local s; for s in "${SETS[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done; return 1; }
boot() { NORESERVE=${NORESERVE-} MACHINE_OPTS=${MACHINE_OPTS-} "$HERE/boot.sh" "$W" "$F/$1" "${@:2}" || echo "  ($1 failed, continuing)"; }

declare -A CMD=(
  [default]=""            [rodata-on]="rodata=on"     [rodata-off]="rodata=off"
  [rodata-full]="rodata=full"
  [crashkernel-256M]="crashkernel=256M" [crashkernel-512M]="crashkernel=512M"
  [kpti-1]="kpti=1"
  [crashkernel-256M-rodata-on]="crashkernel=256M rodata=on"
  [crashkernel-512M-rodata-on]="crashkernel=512M rodata=on"
  [crashkernel-256M-rodata-off]="crashkernel=256M rodata=off"
  [crashkernel-256M-high-rodata-on]="crashkernel=256M,high rodata=on"
  [kpti-1-rodata-on]="kpti=1 rodata=on" )
TAGS=(default rodata-on rodata-off rodata-full crashkernel-256M crashkernel-512M kpti-1
      crashkernel-256M-rodata-on crashkernel-512M-rodata-on crashkernel-256M-rodata-off
      crashkernel-256M-high-rodata-on kpti-1-rodata-on)

if want main; then
  for mem in ${MEMS:-8G 2G 32G}; do
    nr=; [ "$mem" = 32G ] && nr=1
    for t in "${TAGS[@]}"; do NORESERVE=$nr boot "$mem-$t" "$mem" "nokaslr ${CMD[$t]}"; done
  done
fi
if want kaslr; then      # KASLR left on (QEMU virt supplies /chosen/kaslr-seed)
  boot 8G-kaslr 8G ""
fi
if want nomap; then
  # QEMU's own DTB for this -m, plus a reserved-memory node with two no-map holes
  dtbdir="$W/dtb"; mkdir -p "$dtbdir"
  qemu-system-aarch64 -machine virt,dumpdtb="$dtbdir/virt-8G.dtb" -cpu cortex-a57 -smp 1 -m 8G -nographic
  dtc -q -I dtb -O dts -o "$dtbdir/virt-8G.dts" "$dtbdir/virt-8G.dtb"
  # insert before the final "};" of the root node
  head -n -1 "$dtbdir/virt-8G.dts" > "$dtbdir/virt-8G-nomap.dts"
  cat "$HERE/reserved-memory.dtsi" >> "$dtbdir/virt-8G-nomap.dts"
  echo '};' >> "$dtbdir/virt-8G-nomap.dts"
  dtc -q -I dts -O dtb -o "$dtbdir/virt-8G-nomap.dtb" "$dtbdir/virt-8G-nomap.dts"
  cp "$HERE/reserved-memory.dtsi" "$F/nomap-reserved-memory.dtsi"
  boot 8G-nomap-default     8G "nokaslr"           cortex-a57 "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-rodata-on   8G "nokaslr rodata=on" cortex-a57 "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-rodata-off  8G "nokaslr rodata=off" cortex-a57 "$dtbdir/virt-8G-nomap.dtb"
  boot 8G-nomap-crashkernel-256M-rodata-on 8G "nokaslr crashkernel=256M rodata=on" cortex-a57 "$dtbdir/virt-8G-nomap.dtb"
fi
if want cpumax; then
  boot 8G-cpumax-default   8G "nokaslr"           max
  boot 8G-cpumax-rodata-on 8G "nokaslr rodata=on" max
  # MTE is only offered to the guest with virt,mte=on (TCG allocates tag RAM)
  MACHINE_OPTS=mte=on boot 8G-cpumax-mte-default   8G "nokaslr"           max
  MACHINE_OPTS=mte=on boot 8G-cpumax-mte-rodata-on 8G "nokaslr rodata=on" max
fi
