#!/usr/bin/env bash
# Demo: a simulated Eaton Ellipse ECO 1200 served by our usbhid-ups (its device simulator)
# and upsd, read with upsc; upssim acts on the simulated UPS (cut-mains, restore-mains ...).
#
#   bash tests/demo.sh          install build deps if missing (apt, needs root or sudo),
#                               build into ./build, start the stack, print `upsc eco@localhost:PORT`
#   bash tests/demo.sh stop     stop the demo's processes and remove its runtime dir
#   bash tests/demo.sh status   show whether the demo is running
#
# Everything lives in a private runtime dir ($NUT_DEMO_DIR, default $XDG_RUNTIME_DIR/nut-demo
# or /tmp/nut-demo-$UID); /etc/nut and /run/nut are never touched. upsd listens on 127.0.0.1
# only, port 3493 when free, else another free port.
set -eu

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${BUILDDIR:-$SRC/build}
B=$(mkdir -p "$B" && cd "$B" && pwd -P)
DEMO=${NUT_DEMO_DIR:-${XDG_RUNTIME_DIR:-/tmp}/nut-demo}
[ -n "${NUT_DEMO_DIR:-}" ] || [ -n "${XDG_RUNTIME_DIR:-}" ] || DEMO=/tmp/nut-demo-$(id -u)

# The simulated device: usbhid-ups on its simulator, with the model file that turns the
# built-in Ellipse ECO 650 into the ECO 1200 of the real dump (tests/data/ellipse-eco-1200.sim).
# DEMO_DRIVER=dummy-ups DEMO_DRIVER_KEYS="port = ellipse-eco-1200.dev" and
# DEVICE_FILE=.../ellipse-eco-1200.dev give the older dummy-ups demo.
UPS=eco
DRIVER=${DEMO_DRIVER:-usbhid-ups}
DRIVER_KEYS=${DEMO_DRIVER_KEYS:-"port = \"sim:$DEMO/conf/ellipse-eco-1200.sim\""}
DEVICE_FILE=${DEMO_DEVICE_FILE:-$SRC/tests/data/ellipse-eco-1200.sim}
DESC="Eaton Ellipse ECO 1200 (simulated)"

PKGS="build-essential autoconf automake libtool pkg-config libusb-1.0-0-dev libnss3-dev
	libnss3-tools libsystemd-dev libcmocka-dev python3"

say() { echo "demo: $*"; }
die() { echo "demo: error: $*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root or sudo to run: $*"; fi
}

install_deps() {
	local missing="" p
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

build() {
	if [ ! -x "$SRC/configure" ]; then
		say "autoreconf -fi"
		(cd "$SRC" && autoreconf -fi) >/dev/null 2>&1 || die "autoreconf failed"
	fi
	mkdir -p "$B"
	if [ ! -f "$B/Makefile" ]; then
		say "configure in $B"
		(cd "$B" && "$SRC/configure") >"$B/demo-configure.log" 2>&1 ||
			die "configure failed, see $B/demo-configure.log"
	fi
	say "make upsd upsc $DRIVER upssim"
	make -C "$B" -j"$(nproc)" upsd upsc "$DRIVER" upssim >"$B/demo-make.log" 2>&1 ||
		{ grep -E "error" "$B/demo-make.log" | head -20; die "build failed, see $B/demo-make.log"; }
}

free_port() {
	python3 - <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as upsd does
try:
    s.bind(("127.0.0.1", 3493))
except OSError:
    s.close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# pid of a demo process if it is alive and runs one of our binaries
demo_pid() {
	local f=$DEMO/$1.pid pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$B/$1" ] && echo "$pid"
}

stop_demo() {
	local name pid n
	for name in upsd "$DRIVER"; do
		pid=$(demo_pid "$name") || continue
		kill "$pid" 2>/dev/null || true
		for n in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
		[ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
		say "stopped $name (pid $pid)"
	done
	if [ -d "$DEMO" ] && [ -f "$DEMO/.nut-demo" ]; then
		rm -rf "$DEMO"
	fi
}

write_config() {
	local port=$1 pass
	mkdir -p "$DEMO"
	[ -O "$DEMO" ] || die "$DEMO exists and is not ours"
	chmod 700 "$DEMO"
	touch "$DEMO/.nut-demo"
	mkdir -p "$DEMO/conf" "$DEMO/state" "$DEMO/log"
	cp "$DEVICE_FILE" "$DEMO/conf/"
	pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	cat >"$DEMO/conf/ups.conf" <<EOF
[$UPS]
	driver = $DRIVER
	$DRIVER_KEYS
	desc = "$DESC"
EOF
	cat >"$DEMO/conf/upsd.conf" <<EOF
LISTEN 127.0.0.1 $port
EOF
	cat >"$DEMO/conf/upsd.users" <<EOF
[admin]
	password = $pass
	actions = SET
	instcmds = ALL
	upsmon primary
EOF
	chmod 600 "$DEMO/conf/upsd.users"
	echo "$port" >"$DEMO/port"
}

# start NAME ARGS...: run one of our programs in the foreground mode, in the background
start() {
	local name=$1
	shift
	(cd "$DEMO" && exec setsid "$B/$name" "$@" -F </dev/null >>"$DEMO/log/$name.log" 2>&1) &
	echo $! >"$DEMO/$name.pid"
}

# upsd answers with real data (WAIT = the driver's first dump is still in progress)
served() {
	local s
	s=$("$B/upsc" "$UPS@localhost:$1" ups.status 2>/dev/null) && [ -n "$s" ] && [ "$s" != WAIT ]
}

wait_for() {
	local what=$1 n
	shift
	for n in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	die "$what did not come up; log: $(tail -5 "$DEMO/log/"*.log)"
}

start_demo() {
	local port user
	[ -f "$DEVICE_FILE" ] || die "missing $DEVICE_FILE"
	install_deps
	build
	stop_demo >/dev/null
	port=$(free_port)
	write_config "$port"
	user=$(id -un)
	export NUT_CONFPATH=$DEMO/conf NUT_STATEPATH=$DEMO/state NUT_ALTPIDPATH=$DEMO/state
	start "$DRIVER" -a "$UPS" -u "$user"
	wait_for "$DRIVER" test -S "$DEMO/state/$DRIVER-$UPS"
	start upsd -u "$user"
	wait_for upsd served "$port"
	say "running in $DEMO (logs in $DEMO/log), upsd on 127.0.0.1:$port"
	echo
	echo "\$ upsc $UPS@localhost:$port"
	"$B/upsc" "$UPS@localhost:$port"
	echo
	say "try:  $B/upsc $UPS@localhost:$port battery.charge"
	say "      $B/upsc -L localhost:$port"
	if [ "$DRIVER" = usbhid-ups ]; then
		say "      NUT_STATEPATH=$DEMO/state $B/upssim -a $UPS cut-mains   (then: restore-mains, status, help)"
	fi
	say "stop: bash tests/demo.sh stop"
}

case "${1:-start}" in
	start) start_demo ;;
	stop) stop_demo; say "stopped" ;;
	status)
		if pid=$(demo_pid upsd); then
			say "running (upsd pid $pid, port $(cat "$DEMO/port"))"
			"$B/upsc" "$UPS@localhost:$(cat "$DEMO/port")" ups.status
		else
			say "not running"
		fi ;;
	*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
