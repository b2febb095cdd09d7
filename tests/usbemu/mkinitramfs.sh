#!/bin/sh
# mkinitramfs.sh KROOT KVER OUT.cpio.gz INIT TEST [HOST_FILE:GUEST_PATH ...]
# A busybox initramfs for the usbemu guest: static busybox, the USB (xHCI)
# and HID modules in load order (/modules.order), INIT as /init, TEST as
# /test.sh, and every extra file with the shared libraries ldd lists for it.
set -eu
KROOT=$1 KVER=$2 OUT=$3 INIT=$4 TEST=$5
shift 5
MODPROBE=$(command -v modprobe || echo /usr/sbin/modprobe)
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/usbemu-initrd.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT/bin" "$ROOT/lib/modules" "$ROOT/etc" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" \
	"$ROOT/tmp" "$ROOT/run"
cp /bin/busybox "$ROOT/bin/busybox"
: >"$ROOT/modules.order"
for m in xhci-pci usbhid hid-generic; do
	"$MODPROBE" -d "$KROOT" -S "$KVER" --show-depends "$m" | while read -r _ path _; do
		name=${path##*/}
		if ! grep -qx "$name" "$ROOT/modules.order"; then
			cp "$path" "$ROOT/lib/modules/$name"
			echo "$name" >>"$ROOT/modules.order"
		fi
	done
done
cp "$INIT" "$ROOT/init"
cp "$TEST" "$ROOT/test.sh"
chmod 755 "$ROOT/init" "$ROOT/test.sh"

# copy_with_libs HOST GUEST: the file and its ldd closure at the host's paths
copy_with_libs() {
	mkdir -p "$ROOT$(dirname "$2")"
	cp -L "$1" "$ROOT$2"
	ldd "$1" 2>/dev/null | sed -n 's/.*=> *\(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
	while read -r lib; do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done
}
for spec in "$@"; do
	copy_with_libs "${spec%%:*}" "${spec#*:}"
done
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT"
