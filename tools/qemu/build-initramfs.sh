#!/usr/bin/env bash
# Build WORKDIR/initrd.gz: static busybox + ptdump_mod.ko + /init that prints
# the captured files between markers on the serial console, then powers off.
# Usage: tools/qemu/build-initramfs.sh WORKDIR    (after fetch.sh, build-module.sh)
set -euo pipefail
W=$(cd "${1:?workdir}" && pwd)
R="$W/initramfs"; rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,tmp}
cp "$(ls "$W/root/bin/busybox" "$W/root/usr/bin/busybox" 2>/dev/null | head -n1)" "$R/bin/busybox"
cp "$W/mod/ptdump_mod.ko" "$R/ptdump_mod.ko"
cat > "$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug
dmesg -n 1                       # keep printk off the console while we print
if [ ! -e /sys/kernel/debug/kernel_page_tables ]; then
  w=$(grep ' ptdump_walk$' /proc/kallsyms | cut -d' ' -f1)
  # the kernel's own markers and init_mm, where kallsyms has data symbols (KALLSYMS_ALL, 6.12)
  k=$(grep -E ' d address_markers(\.[0-9]+)?$' /proc/kallsyms | head -n1 | cut -d' ' -f1)
  m=$(grep ' D init_mm$' /proc/kallsyms | cut -d' ' -f1)
  insmod /ptdump_mod.ko ${w:+walk=0x$w} ${k:+${m:+markers=0x$k mm=0x$m}} || echo 'insmod ptdump_mod failed'
fi
cap() { echo "=== CAPTURE $1 ==="; shift; "$@" 2>&1; echo "=== END ==="; }
cap uname   uname -r
cap ptdump-syms grep -E "ptdump|address_markers" /proc/kallsyms
cap cmdline cat /proc/cmdline
cap iomem   cat /proc/iomem
cap meminfo cat /proc/meminfo
cap ptdump  cat /sys/kernel/debug/kernel_page_tables
# KFENCE's objects right after the dump: a freed object's page is invalid (kfence_guarded_free)
[ -e /sys/kernel/debug/kfence/objects ] && cap kfence-objects cat /sys/kernel/debug/kfence/objects
cap dmesg   dmesg
echo '=== CAPTURE DONE ==='
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$W/initrd.gz"
ls -l "$W/initrd.gz"
