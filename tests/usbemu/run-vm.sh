#!/bin/sh
# run-vm.sh WORK KERNEL INITRD UPSEMU [TIMEOUT_S]
# Start the emulator (socket WORK/ups.sock, command FIFO WORK/ups.ctl, log
# WORK/upsemu.log), boot qemu (TCG, q35, xHCI + usb-redir to the emulator,
# console to WORK/serial.log, second serial port to the FIFO), wait for the
# guest to power off (or TIMEOUT_S, default 150), stop the emulator.
# Exit status: the guest's "@@EXIT n" (n), 124 on timeout, 125 if qemu or
# the emulator would not start. Extra qemu options: $USBEMU_QEMU_ARGS
# (e.g. "-device ...,pcap=/tmp/x.pcap" is not possible; use USBEMU_PCAP=FILE).
set -u
WORK=$1 KERNEL=$2 INITRD=$3 UPSEMU=$4 TIMEOUT=${5:-150}
SOCK=$WORK/ups.sock CTL=$WORK/ups.ctl
rm -f "$SOCK" "$WORK/serial.log" "$WORK/upsemu.log"

"$UPSEMU" -s "$SOCK" -c "$CTL" -l "$WORK/upsemu.log" ${USBEMU_VERBOSE:+-v} &
emu=$!
n=0
while [ ! -S "$SOCK" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if [ ! -S "$SOCK" ]; then
	kill "$emu" 2>/dev/null
	echo "run-vm: the emulator did not start" >&2
	exit 125
fi

pcap=
[ -n "${USBEMU_PCAP:-}" ] && pcap=",pcap=$USBEMU_PCAP"
# shellcheck disable=SC2086
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel tcg -m 512 -smp 1 \
	-nodefaults -display none -no-reboot \
	-chardev file,id=con,path="$WORK/serial.log" -serial chardev:con \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append 'console=ttyS0 panic=-1 quiet' \
	-device qemu-xhci,id=hc \
	-chardev socket,id=upsredir,path="$SOCK" \
	-device usb-redir,chardev=upsredir,id=ups,bus=hc.0$pcap \
	-chardev file,id=upsctl,path="$CTL" -device isa-serial,chardev=upsctl \
	${USBEMU_QEMU_ARGS:-} >"$WORK/qemu.log" 2>&1
qrc=$?
kill "$emu" 2>/dev/null
wait "$emu" 2>/dev/null
if [ $qrc -eq 124 ]; then
	echo "run-vm: timeout after $TIMEOUT s" >&2
	exit 124
fi
rc=$(sed -n 's/^@@EXIT \([0-9]*\).*/\1/p' "$WORK/serial.log" | tail -1)
if [ -z "$rc" ]; then
	echo "run-vm: qemu exited ($qrc) without a guest result" >&2
	tail -5 "$WORK/qemu.log" >&2
	exit 125
fi
exit "$rc"
