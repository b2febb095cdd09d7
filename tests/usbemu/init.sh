#!/bin/busybox sh
# shellcheck shell=dash
# /init of the usbemu guest: mount the basics, load the USB and HID modules,
# wait for the emulated UPS (idVendor 0463) to be bound, run /test.sh, print
# "@@EXIT <status>" on the console and power off (qemu then exits).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
while read -r m; do
	insmod "/lib/modules/$m" || echo "@@INSMOD-FAILED $m"
done </modules.order
ifconfig lo 127.0.0.1 up
found=
i=0
while [ $i -lt 300 ]; do
	for d in /sys/bus/usb/devices/*; do
		if [ "$(cat "$d/idVendor" 2>/dev/null)" = 0463 ]; then
			found=$d
		fi
	done
	[ -n "$found" ] && [ -e "$found:1.0/driver" ] && break
	i=$((i + 1))
	usleep 100000
done
if [ -n "$found" ]; then
	echo "@@USB $(cat "$found/idVendor"):$(cat "$found/idProduct") at ${found##*/}," \
		"driver $(basename "$(readlink "$found:1.0/driver" 2>/dev/null)") uptime $(cut -d' ' -f1 /proc/uptime)"
	sh /test.sh
	rc=$?
else
	echo "@@NOUSB"
	rc=99
fi
echo "@@EXIT $rc"
sync
poweroff -f
