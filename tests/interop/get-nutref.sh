#!/usr/bin/env bash
# Unpack Debian's NUT 2.8.0 (nut-server, nut-client, libupsclient6) into DIR, without installing it,
# so the interop tests can run the real upsd / dummy-ups / upsc next to ours:
#
#   bash tests/interop/get-nutref.sh DIR        then   NUTREF=DIR bash tests/run-all.sh
#
# Idempotent: does nothing when DIR/lib/nut/upsd already exists. Runs `apt-get update` only when a
# first download fails. Libraries the real programs need that are not on this machine (libwrap0 for
# upsd) are unpacked into DIR too; run the programs with LD_LIBRARY_PATH=DIR/lib/x86_64-linux-gnu.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
DIR=$1
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

LIBDIR=$DIR/lib/x86_64-linux-gnu
# upsd_ok: the unpacked upsd exists and all its shared libraries resolve
upsd_ok() {
	[ -x "$DIR/lib/nut/upsd" ] && ! LD_LIBRARY_PATH=$LIBDIR ldd "$DIR/lib/nut/upsd" 2>&1 | grep -q "not found"
}
if upsd_ok && [ -x "$DIR/lib/nut/dummy-ups" ] && [ -x "$DIR/bin/upsc" ]; then
	echo "reference NUT already in $DIR"
	exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# download PKG...: fetch .debs into $TMP, refreshing the package lists once if needed
download() {
	if ! (cd "$TMP" && apt-get download "$@") >"$TMP/apt.log" 2>&1; then
		echo "apt-get download failed; running apt-get update" >&2
		apt-get update >"$TMP/update.log" 2>&1 || { cat "$TMP/update.log" >&2; return 1; }
		(cd "$TMP" && apt-get download "$@") >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; return 1; }
	fi
}

download nut-server nut-client libupsclient6
for deb in "$TMP"/*.deb; do
	dpkg -x "$deb" "$DIR"
done

# shared libraries the unpacked programs still miss (e.g. libwrap0): unpack their packages too
missing=$(for exe in "$DIR/lib/nut/upsd" "$DIR/lib/nut/dummy-ups" "$DIR/bin/upsc" "$DIR/bin/upscmd" "$DIR/bin/upsrw"; do
	LD_LIBRARY_PATH=$LIBDIR ldd "$exe" 2>/dev/null | awk '/not found/ {print $1}'
done | sort -u)
pkgs=""
for lib in $missing; do
	case "$lib" in
		libwrap.so.0) pkgs="$pkgs libwrap0" ;;
		libupsclient.so.6) pkgs="$pkgs libupsclient6" ;;
		libnutscan.so.2) pkgs="$pkgs libnutscan2" ;;
		*) echo "warning: $lib not found and no package known for it" >&2 ;;
	esac
done
if [ -n "$pkgs" ]; then
	rm -f "$TMP"/*.deb
	# shellcheck disable=SC2086
	download $pkgs
	for deb in "$TMP"/*.deb; do
		dpkg -x "$deb" "$DIR"
	done
fi
# some packages (libwrap0) put their library under usr/lib: make one LD_LIBRARY_PATH enough
if [ -d "$DIR/usr/lib/x86_64-linux-gnu" ]; then
	mkdir -p "$LIBDIR"
	for so in "$DIR"/usr/lib/x86_64-linux-gnu/lib*.so*; do
		[ -e "$so" ] || continue
		[ -e "$LIBDIR/$(basename "$so")" ] || cp -a "$so" "$LIBDIR/"
	done
fi

for exe in lib/nut/upsd lib/nut/dummy-ups bin/upsc bin/upscmd bin/upsrw; do
	if [ ! -x "$DIR/$exe" ]; then
		echo "error: $DIR/$exe missing after unpacking" >&2
		exit 1
	fi
done
if ! upsd_ok; then
	echo "error: $DIR/lib/nut/upsd still misses libraries:" >&2
	LD_LIBRARY_PATH=$LIBDIR ldd "$DIR/lib/nut/upsd" | grep "not found" >&2
	exit 1
fi
echo "reference NUT unpacked in $DIR"
