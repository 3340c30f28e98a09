#!/usr/bin/env bash
# Boot one configuration and split the serial log into fixture files.
# Usage: tools/qemu/boot.sh WORKDIR OUTDIR MEM "EXTRA CMDLINE" [CPU] [DTB]
#   e.g. boot.sh /tmp/w test/fixtures/qemu/6.1/8G-default 8G "nokaslr" cortex-a57
set -uo pipefail
W=$(cd "${1:?workdir}" && pwd); OUT=${2:?outdir}; MEM=${3:?mem}; EXTRA=${4-}
CPU=${5:-cortex-a57}; DTB=${6-}
. "$W/kernel.env"
TIMEOUT=${TIMEOUT:-900}
mkdir -p "$OUT" "$W/logs"
LOG="$W/logs/$(basename "$OUT").log"
args=(-machine "virt${MACHINE_OPTS:+,$MACHINE_OPTS}" -cpu "$CPU" -smp 1 -m "$MEM"
      -kernel "$W/root/boot/vmlinuz-$KVER" -initrd "$W/initrd.gz"
      -append "console=ttyAMA0 $EXTRA" -nographic -no-reboot)
[ -n "$DTB" ] && args+=(-dtb "$DTB")
# QEMU_EXTRA: more options, split as words (e.g. -numa for a two-node guest)
[ -n "${QEMU_EXTRA-}" ] && read -r -a extra <<<"$QEMU_EXTRA" && args+=("${extra[@]}")
# Guests bigger than the host's free RAM: QEMU's plain -m mapping is refused by
# the kernel's overcommit heuristic, so back RAM with MAP_NORESERVE (reserve=off).
# The guest sees the same machine; RAM is still only touched lazily.
if [ -n "${NORESERVE-}" ]; then
  args=("${args[@]/#virt/virt,memory-backend=ram0}")   # the -machine value
  args+=(-object "memory-backend-ram,id=ram0,size=$MEM,reserve=off")
fi
echo "qemu-system-aarch64 ${args[*]}" > "$LOG.cmd"
start=$(date +%s)
timeout "$TIMEOUT" qemu-system-aarch64 "${args[@]}" </dev/null >"$LOG" 2>&1
rc=$?
echo "$(basename "$OUT"): qemu rc=$rc in $(( $(date +%s) - start ))s"
tr -d '\r' < "$LOG" > "$LOG.lf"
if ! grep -q '^=== CAPTURE DONE ===' "$LOG.lf"; then
  echo "  boot FAILED; tail of log:"; tail -n 25 "$LOG.lf" | sed 's/^/    /'
  tail -n 200 "$LOG.lf" > "$OUT/FAILED-log-tail.txt"
  exit 1
fi
for k in uname ptdump-syms kernel-syms cmdline iomem meminfo ptdump kfence-objects kfence-unstable dmesg; do
  awk -v k="$k" '$0=="=== CAPTURE " k " ==="{on=1;next} on&&$0=="=== END ==="{exit} on' \
    "$LOG.lf" > "$OUT/$k.txt"
  [ -s "$OUT/$k.txt" ] || rm -f "$OUT/$k.txt"    # kfence-objects exists only with KFENCE
done
rm -f "$OUT/FAILED-log-tail.txt"
wc -l "$OUT"/*.txt | sed 's/^/  /'
