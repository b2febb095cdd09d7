#!/usr/bin/env bash
# Build (if needed) and run every test; the last line is "N passed, N failed[, N skipped]".
#
#   bash tests/run-all.sh           build in <repo>/build, run unit, integration and interop tests
#   bash tests/run-all.sh --asan    build in <repo>/build-asan with ASan+UBSan, run the unit tests
#
# Environment: BUILDDIR (build dir, absolute or relative to the current dir),
# CONFIGURE_FLAGS (extra ./configure arguments), NUTREF (Debian NUT unpacked,
# default: unpacked into <builddir>/nutref by tests/interop/get-nutref.sh; "none" skips it,
# for tests/interop), TEST_TIMEOUT (seconds per test program, default 600), ONLY (a glob
# on "integration/test_x.py"-style names: run only those scripts).
# Results: unit tests print TAP through CMOCKA_MESSAGE_OUTPUT=TAP; scripts
# print TAP themselves. "ok" = passed, "ok ... # SKIP" = skipped, "not ok" =
# failed; a program that exits non-zero without a "not ok" line, or whose
# plan (1..N) does not match its results, counts as one more failure.
# Full output of each program: <builddir>/test-logs/<name>.log
set -u

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=all
case "${1:-}" in
	--asan) MODE=asan ;;
	"") ;;
	*) echo "usage: $0 [--asan]" >&2; exit 2 ;;
esac

if [ "$MODE" = asan ]; then
	B=${BUILDDIR:-$SRC/build-asan}
	SAN="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
	B=${BUILDDIR:-$SRC/build}
	SAN=""
fi
mkdir -p "$B"
B=$(cd "$B" && pwd)
export BUILDDIR=$B
LOGS=$B/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS/unit" "$LOGS/integration" "$LOGS/interop"
TIMEOUT=${TEST_TIMEOUT:-600}
export PYTHONDONTWRITEBYTECODE=1
JOBS=$(nproc 2>/dev/null || echo 2)

PASS=0 FAIL=0 SKIP=0

# record NAME RESULT(ok|fail) [detail]: a result that is not a TAP line of a test program
record() {
	if [ "$2" = ok ]; then
		PASS=$((PASS + 1)); echo "ok - $1"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $1${3:+: $3}"
	fi
}

# ---------------------------------------------------------------- build
build() {
	if [ ! -x "$SRC/configure" ]; then
		echo "== autoreconf -fi (no configure script)"
		(cd "$SRC" && autoreconf -fi) >"$LOGS/autoreconf.log" 2>&1 ||
			{ tail -20 "$LOGS/autoreconf.log"; record "autoreconf" fail; return 1; }
	fi
	if [ ! -f "$B/Makefile" ]; then
		echo "== configure in $B ${SAN:+(sanitizers)}"
		# shellcheck disable=SC2086
		(cd "$B" && "$SRC/configure" ${SAN:+CFLAGS="$SAN" LDFLAGS="$SAN"} ${CONFIGURE_FLAGS:-}) \
			>"$LOGS/configure.log" 2>&1 ||
			{ tail -20 "$LOGS/configure.log"; record "configure" fail; return 1; }
	fi
	echo "== make -j$JOBS in $B"
	if make -C "$B" -k -j"$JOBS" all >"$LOGS/make-all.log" 2>&1; then
		record "build: make all" ok
	else
		grep -E "error|Error [0-9]" "$LOGS/make-all.log" | head -30
		record "build: make all" fail "see $LOGS/make-all.log"
	fi
	if make -C "$B" -k -j"$JOBS" check TESTS= >"$LOGS/make-check.log" 2>&1; then
		record "build: unit test programs" ok
	else
		grep -E "error|Error [0-9]" "$LOGS/make-check.log" | head -30
		record "build: unit test programs" fail "see $LOGS/make-check.log"
	fi
}

# ---------------------------------------------------------------- TAP accounting
# count_tap NAME LOGFILE RC: add the program's results to the totals
count_tap() {
	local name=$1 log=$2 rc=$3 p f s plan ran
	# cmocka prints a skipped test as "not ok N # SKIP name"
	s=$(grep -Eic '^(not )?ok\b.*#[[:space:]]*skip' "$log")
	p=$(grep -Ei '^ok\b' "$log" | grep -Evic '#[[:space:]]*skip')
	f=$(grep -Ei '^not ok\b' "$log" | grep -Evic '#[[:space:]]*skip')
	plan=$(grep -Eo '^1\.\.[0-9]+' "$log" | head -1 | cut -d. -f3)
	ran=$((p + s + f))
	PASS=$((PASS + p)) FAIL=$((FAIL + f)) SKIP=$((SKIP + s))
	grep -Ei '^not ok\b' "$log" | grep -Evi '#[[:space:]]*skip' | sed "s|^|  $name: |"
	local extra=""
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -eq 124 ]; then extra="timed out after ${TIMEOUT}s"
		elif [ "$rc" -gt 128 ]; then extra="killed by signal $((rc - 128))"
		else extra="exit status $rc without a failing test"; fi
	elif [ "$ran" -eq 0 ]; then
		extra="no TAP results"
	elif [ -n "$plan" ] && [ "$plan" -ne "$ran" ]; then
		extra="plan 1..$plan but $ran results"
	fi
	if [ -n "$extra" ]; then
		FAIL=$((FAIL + 1))
		echo "not ok - $name: $extra; last output:"
		tail -15 "$log" | sed 's/^/    /'
	fi
	[ -n "$extra" ] && f=$((f + 1))
	printf '%-34s %3d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
}

# run_prog NAME CMD...: run one test program with a timeout and count its TAP
run_prog() {
	local name=$1 log rc
	shift
	log="$LOGS/$name.log"
	timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	count_tap "$name" "$log" "$rc"
}

run_unit() {
	local src name bin
	echo "== unit tests"
	for src in "$SRC"/tests/unit/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		bin="$B/tests/unit/$name"
		if [ ! -x "$bin" ]; then
			record "unit/$name" fail "not built"
			continue
		fi
		CMOCKA_MESSAGE_OUTPUT=TAP run_prog "unit/$name" "$bin"
	done
}

run_scripts() {
	local dir script name leaks
	for dir in integration interop; do
		echo "== $dir tests"
		for script in "$SRC/tests/$dir"/test_*; do
			[ -f "$script" ] || continue
			name="$dir/$(basename "$script")"
			# shellcheck disable=SC2254
			case "$name" in ${ONLY:-*}) ;; *) continue ;; esac
			# the script runs under tests/reaper.py: processes it leaves running are
			# stopped and counted as one failure
			leaks="$LOGS/$name.leaks"
			case "$script" in
				*.py) run_prog "$name" python3 "$SRC/tests/reaper.py" "$leaks" -- python3 "$script" ;;
				*.sh) run_prog "$name" python3 "$SRC/tests/reaper.py" "$leaks" -- bash "$script" ;;
				*) if [ -x "$script" ]; then
					run_prog "$name" python3 "$SRC/tests/reaper.py" "$leaks" -- "$script"; fi ;;
			esac
			if [ -s "$leaks" ]; then
				record "$name: no process left running" fail "left: $(tr '\n' ';' <"$leaks")"
			fi
		done
	done
}

# reference NUT for tests/interop: unpacked on first use into the build dir unless NUTREF
# names one already (NUTREF=none: skip the interop tests)
get_nutref() {
	[ "${NUTREF:-}" = none ] && { unset NUTREF; return; }
	[ -n "${NUTREF:-}" ] && return
	if bash "$SRC/tests/interop/get-nutref.sh" "$B/nutref" >"$LOGS/nutref.log" 2>&1; then
		export NUTREF=$B/nutref
	else
		echo "== reference NUT not available (see $LOGS/nutref.log): interop tests will SKIP"
	fi
}

build
run_unit
if [ "$MODE" = all ]; then
	get_nutref
	run_scripts
fi

echo "logs: $LOGS"
if [ "$SKIP" -gt 0 ]; then
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
else
	echo "$PASS passed, $FAIL failed"
fi
[ "$FAIL" -eq 0 ]
