#!/usr/bin/env bash
# The README's first command works: tests/demo.sh starts the simulated UPS and prints
# its variables; `status` sees it; `stop` ends every process and removes the runtime dir.
# Runs the demo in a private runtime dir (NUT_DEMO_DIR) with the build dir in $BUILDDIR.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BUILDDIR=${BUILDDIR:-$SRC/build}
TMP=$(mktemp -d /tmp/nutc-demo-XXXXXX)
export NUT_DEMO_DIR=$TMP/demo
N=0 FAILED=0

t() {   # t COND-STATUS NAME [DIAG]
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $N - $2"
	else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); [ -n "${3:-}" ] && echo "$3" | tail -20 | sed 's/^/#   /'; fi
}

cleanup() {
	bash "$SRC/tests/demo.sh" stop >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

out=$(timeout 300 bash "$SRC/tests/demo.sh" 2>&1)
rc=$?
t $rc "tests/demo.sh exits 0" "$out"
echo "$out" | grep -q '^battery.charge: 100$'; t $? "demo prints battery.charge: 100" "$out"
echo "$out" | grep -q '^ups.model: Ellipse ECO 1200$'; t $? "demo prints ups.model: Ellipse ECO 1200" "$out"
echo "$out" | grep -q 'tests/demo.sh stop'; t $? "demo says how to stop it" "$out"

upsd_pid=$(cat "$NUT_DEMO_DIR/upsd.pid" 2>/dev/null)
drv_pid=$(cat "$NUT_DEMO_DIR/usbhid-ups.pid" "$NUT_DEMO_DIR/dummy-ups.pid" 2>/dev/null | head -1)
st=$(bash "$SRC/tests/demo.sh" status 2>&1)
echo "$st" | grep -q "running (upsd pid" && echo "$st" | grep -q '^OL$'
t $? "demo.sh status: running, ups.status OL" "$st"

bash "$SRC/tests/demo.sh" stop >/dev/null 2>&1
t $? "demo.sh stop exits 0"
gone=0
for p in $upsd_pid $drv_pid; do [ -d "/proc/$p" ] && gone=1; done
[ -n "$upsd_pid" ] && [ -n "$drv_pid" ]; t $(( $? | gone )) "demo processes gone after stop (pids $upsd_pid $drv_pid)"
[ ! -e "$NUT_DEMO_DIR" ]; t $? "demo runtime dir removed"

echo "1..$N"
[ "$FAILED" -eq 0 ]
