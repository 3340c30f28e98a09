#!/usr/bin/env bash
# Build WORKDIR/initrd.gz: static busybox + ptdump_mod.ko + /init that prints
# the captured files between markers on the serial console, then powers off.
# Usage: tools/qemu/build-initramfs.sh WORKDIR    (after fetch.sh, build-module.sh)
set -euo pipefail
W=$(cd "${1:?workdir}" && pwd)
R="$W/initramfs"; rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,tmp}
cp "$W/root/bin/busybox" "$R/bin/busybox"
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
  insmod /ptdump_mod.ko ${w:+walk=0x$w} || echo 'insmod ptdump_mod failed'
fi
cap() { echo "=== CAPTURE $1 ==="; shift; "$@" 2>&1; echo "=== END ==="; }
cap uname   uname -r
cap cmdline cat /proc/cmdline
cap iomem   cat /proc/iomem
cap meminfo cat /proc/meminfo
cap ptdump  cat /sys/kernel/debug/kernel_page_tables
cap dmesg   dmesg
echo '=== CAPTURE DONE ==='
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$W/initrd.gz"
ls -l "$W/initrd.gz"
