#!/bin/sh
# setup.sh CACHE_DIR: make sure a Debian kernel for the guest is unpacked in
# CACHE_DIR (downloaded with apt-get download on first use, never into the
# source tree) and print its location as shell assignments:
#   KVER=6.1.0-57-amd64
#   KROOT=/var/tmp/nutc-usbemu/kroot-6.1.0-57-amd64
# Exit 77 with "SKIP: why" on stdout when something needed is missing.
set -u
CACHE=${1:?usage: setup.sh CACHE_DIR}
skip() { echo "SKIP: $*"; exit 77; }

for tool in qemu-system-x86_64 cpio gzip dpkg apt-get apt-cache pkg-config cc; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed"
done
[ -x /bin/busybox ] || skip "busybox (busybox-static) not installed"
DEPMOD=$(command -v depmod || echo /usr/sbin/depmod)
[ -x "$DEPMOD" ] || skip "depmod (kmod) not installed"
pkg-config --exists libusbredirparser-0.5 || skip "libusbredirparser-dev not installed"
mkdir -p "$CACHE" || skip "cannot create $CACHE"

# one setup at a time per cache
exec 9>"$CACHE/.lock"
command -v flock >/dev/null 2>&1 && flock -w 300 9

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	# no package lists: use what an earlier run left
	KROOT=$(find "$CACHE" -maxdepth 1 -name 'kroot-*' | sort | tail -1)
	[ -n "$KROOT" ] || skip "cannot resolve linux-image-amd64 (no apt lists) and no cached kernel"
	KVER=${KROOT##*/kroot-}
else
	KVER=${pkg#linux-image-}
	KROOT=$CACHE/kroot-$KVER
fi
if [ ! -f "$KROOT/.done" ]; then
	rm -rf "$KROOT" "$CACHE"/dl
	mkdir -p "$CACHE/dl"
	(cd "$CACHE/dl" && apt-get download "$pkg") >"$CACHE/download.log" 2>&1 ||
		skip "kernel download failed (apt-get download $pkg): $(tail -1 "$CACHE/download.log")"
	dpkg -x "$CACHE"/dl/linux-image-*.deb "$KROOT" || skip "dpkg -x failed"
	rm -rf "$CACHE/dl"
	# keep the kernel and the USB and HID modules only (400 MB -> ~30 MB)
	find "$KROOT" -mindepth 1 -maxdepth 1 ! -name boot ! -name lib -exec rm -rf {} +
	find "$KROOT/boot" -mindepth 1 ! -name "vmlinuz-$KVER" -exec rm -rf {} +
	find "$KROOT/lib/modules/$KVER/kernel" -mindepth 1 -maxdepth 1 ! -name drivers -exec rm -rf {} +
	find "$KROOT/lib/modules/$KVER/kernel/drivers" -mindepth 1 -maxdepth 1 ! -name usb ! -name hid \
		-exec rm -rf {} +
	"$DEPMOD" -b "$KROOT" "$KVER" || skip "depmod failed"
	touch "$KROOT/.done"
fi
[ -f "$KROOT/boot/vmlinuz-$KVER" ] || skip "no vmlinuz in $KROOT"
echo "KVER=$KVER"
echo "KROOT=$KROOT"
