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
  f=$(grep ' find_vm_area$' /proc/kallsyms | cut -d' ' -f1)
  insmod /ptdump_mod.ko ${w:+walk=0x$w} ${k:+${m:+markers=0x$k mm=0x$m}} ${f:+fva=0x$f} || echo 'insmod ptdump_mod failed'
fi
cap() { echo "=== CAPTURE $1 ==="; shift; "$@" 2>&1; echo "=== END ==="; }
cap uname   uname -r
cap ptdump-syms grep -E "ptdump|address_markers" /proc/kallsyms
# the kernel image's section bounds (vmlinux.lds.S), as /proc/kallsyms lists them (System.map's form)
cap kernel-syms grep -E " (_text|_stext|__init_begin|__init_end|_sdata|__bss_start|__bss_stop|_end)$" /proc/kallsyms
cap cmdline cat /proc/cmdline
cap iomem   cat /proc/iomem
cap meminfo cat /proc/meminfo
# The dump, taken between two reads of KFENCE's objects that agree on every object's state
# on which objects are freed (a freed object's page is invalid: kfence_guarded_free), so that the
# objects file describes the pool as the dump shows it; objects can be freed meanwhile: 20 tries.
KO=/sys/kernel/debug/kfence/objects
# only whether each object is freed shows in the dump (unused and allocated objects are both valid)
states() { [ -e $KO ] && awk '/^kfence-#/{if(f!="")print f; f=""; n=$1} /^freed by task/{f=n} END{if(f!="")print f}' $KO; }
# Sampling off first (kfence_enabled = false: no new KFENCE allocations; the pool's pages stay as
# they are), then a second for the short-lived allocations of this script's processes to be freed.
SI=/sys/module/kfence/parameters/sample_interval
if [ -e $KO ] && [ "$(cat $SI 2>/dev/null)" != 0 ]; then echo 0 > $SI; sleep 1; fi
i=0
while :; do
  i=$((i+1)); a=$(states); cat /sys/kernel/debug/kernel_page_tables > /tmp/pt 2>&1; [ -e $KO ] && cat $KO > /tmp/ko; b=$(states)
  [ "$a" = "$b" ] || [ $i -ge 20 ] && break
done
[ "$a" = "$b" ] || echo "kfence objects changed during every one of $i dumps" > /tmp/ko-unstable
cap ptdump  cat /tmp/pt
[ -e $KO ] && cap kfence-objects cat /tmp/ko
[ -e /tmp/ko-unstable ] && cap kfence-unstable cat /tmp/ko-unstable
cap dmesg   dmesg
echo '=== CAPTURE DONE ==='
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$W/initrd.gz"
ls -l "$W/initrd.gz"
