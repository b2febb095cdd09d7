#!/bin/bash
# tests/bench/run.sh: benchmark our upsd against Debian's NUT 2.8.0 in one run and print a
# table (metric | ours | NUT 2.8.0 | ratio). It prints figures and asserts nothing about them;
# it is not part of the test suite. How to run it and what it measures: tests/bench/README.md.
#
#   BUILDDIR=/tmp/build-x [NUTREF=/tmp/nutref] bash tests/bench/run.sh
#
# Everything runs on 127.0.0.1 in a private temp dir; every process started here is stopped by
# PID on exit (KEEP=1 keeps the temp dir with the logs and raw figures).
set -u

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=$(cd "${BUILDDIR:-$SRCDIR/build}" && pwd)
NUTREF=${NUTREF:-/tmp/nutref}
BENCH=$BUILDDIR/tests/bench/nutbench
DEV=$SRCDIR/tests/data/ellipse-eco-1200.dev
UPS=eco

GET_SECS=${GET_SECS:-5}
GET_CONNS=${GET_CONNS:-16}
LIST_SECS=${LIST_SECS:-3}
LIST_TRACED=${LIST_TRACED:-50}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SAMPLES=${IDLE_SAMPLES:-50}
IDLE_LOAD_SECS=${IDLE_LOAD_SECS:-3}
IDLE_OPEN_LIMIT=${IDLE_OPEN_LIMIT:-60}
MAINS_TRIALS=${MAINS_TRIALS:-5}
MAXCONN=${MAXCONN:-15000}
# both upsd get the same descriptor limit; NUT 2.8.0's MAXCONN default is this limit
NOFILE=${NOFILE:-20000}

PIDS=()
TMP=$(mktemp -d /tmp/nutbench.XXXXXX)
chmod 755 "$TMP"

log() { printf '# %s\n' "$*" >&2; }

# ------------------------------------------------------------------ processes

# spawn LOGFILE CMD...: start CMD in the background (SIGPIPE ignored, as the
# 2.8.0 drivers in -F need); its PID is in $SPAWNED and in PIDS
spawn() {
	local out=$1
	shift
	( trap '' PIPE; exec "$@" ) >"$out" 2>&1 </dev/null &
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

alive() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# stop PID (and the children it had, e.g. upsmon's unprivileged half) with TERM, then KILL
stop_pid() {
	local pid=$1 kids i k
	alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for k in $kids; do
		for i in $(seq 30); do alive "$k" || break; sleep 0.1; done
		alive "$k" && kill -TERM "$k" 2>/dev/null
	done
	return 0
}

cleanup() {
	local i
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}"
	done
	if [ -n "${KEEP:-}" ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# one request on a fresh connection: the first reply line (empty on failure)
ask() {
	local port=$1 req=$2 line=""
	{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 0
	printf '%s\n' "$req" >&3
	IFS= read -r -t 3 line <&3
	exec 3>&-
	printf '%s' "$line"
}

wait_for() {    # wait_for SECONDS CMD...: poll CMD every 0.1 s
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ------------------------------------------------------------------ stacks

impl_exe() {    # impl_exe ours|nut PROGRAM
	case $1 in
	ours) echo "$BUILDDIR/$2" ;;
	nut) echo "$REF/lib/nut/$2" ;;    # not sbin/: Debian wrappers read /etc/nut
	esac
}

# stack_env DIR IMPL: the environment (as env(1) arguments) for one private tree
stack_env() {
	local e=("NUT_CONFPATH=$1/conf" "NUT_STATEPATH=$1/state" "NUT_ALTPIDPATH=$1/state")
	[ "$2" = nut ] && e+=("LD_LIBRARY_PATH=$REF/lib/x86_64-linux-gnu")
	printf '%s\n' "${e[@]}"
}

# stack_write DIR IMPL PORT: conf/ (ups.conf, upsd.conf, upsd.users, the dump), state/, log/
stack_write() {
	local dir=$1 impl=$2 port=$3 datapath=$SRCDIR/conf
	[ "$impl" = nut ] && datapath=$REF/usr/share/nut
	mkdir -p "$dir/conf" "$dir/state" "$dir/log"
	chmod 755 "$dir" "$dir/conf" "$dir/state" "$dir/log"
	cp "$DEV" "$dir/conf/$UPS.dev"
	printf '[%s]\n\tdriver = dummy-ups\n\tport = %s.dev\n\tdesc = "bench"\n' "$UPS" "$UPS" \
		>"$dir/conf/ups.conf"
	printf 'LISTEN 127.0.0.1 %s\nMAXCONN %s\nDATAPATH %s\n' "$port" "$MAXCONN" "$datapath" \
		>"$dir/conf/upsd.conf"
	printf '[admin]\n\tpassword = adminpass\n\tactions = SET FSD\n\tinstcmds = ALL\n\tupsmon master\n' \
		>"$dir/conf/upsd.users"
	chmod 644 "$dir"/conf/*
}

served() {      # served PORT: upsd answers ups.status (and no longer WAIT)
	local r
	r=$(ask "$1" "GET VAR $UPS ups.status")
	[[ $r == VAR* && $r != *'"WAIT"' ]]
}

# stack_start DIR IMPL PORT: dummy-ups + upsd; sets DRIVER_PID and UPSD_PID (empty on failure)
stack_start() {
	local dir=$1 impl=$2 port=$3 env
	mapfile -t env < <(stack_env "$dir" "$impl")
	UPSD_PID=
	stack_write "$dir" "$impl" "$port"
	spawn "$dir/log/driver.log" env "${env[@]}" "$(impl_exe "$impl" dummy-ups)" -a "$UPS" -F -u root
	DRIVER_PID=$SPAWNED
	if ! wait_for 10 test -S "$dir/state/dummy-ups-$UPS"; then
		log "$impl: dummy-ups did not start:"; tail -5 "$dir/log/driver.log" >&2; return 1
	fi
	spawn "$dir/log/upsd.log" env "${env[@]}" "$(impl_exe "$impl" upsd)" -F -u root
	UPSD_PID=$SPAWNED
	if ! wait_for 15 served "$port"; then
		log "$impl: upsd does not serve $UPS:"; tail -5 "$dir/log/upsd.log" >&2
		UPSD_PID=; return 1
	fi
}

# ------------------------------------------------------------------ measurements

# write syscalls of upsd while it answers LIST_TRACED LIST VAR requests
traced_list() {
	local dir=$1 port=$2 pid=$3 spid
	command -v strace >/dev/null || { log "no strace: write counts skipped"; return 0; }
	spawn "$dir/strace.err" strace -f -c -e trace=write,writev,sendto,sendmsg \
		-o "$dir/strace.out" -p "$pid"
	spid=$SPAWNED
	wait_for 10 grep -qs attached "$dir/strace.err" || { log "strace did not attach"; return 0; }
	"$BENCH" list -p "$port" -u "$UPS" -n "$LIST_TRACED" >"$dir/list-traced.out"
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	awk -v n="$LIST_TRACED" '$NF == "total" { printf "strace.writes_per_list %.2f\n", $4 / n }' \
		"$dir/strace.out" >>"$dir/figures"
}

declare -A PORT UPSD DRIVER

# figures of a multi-target nutbench run ("impl/key value") into TMP/impl/figures
split_figures() {
	awk -v tmp="$TMP" '{ split($1, k, "/"); print k[2], $2 >> (tmp "/" k[1] "/figures") }'
}

servers_start() {
	local impl
	for impl in "$@"; do
		PORT[$impl]=$(free_port)
		log "$impl: starting dummy-ups + upsd on 127.0.0.1:${PORT[$impl]}"
		stack_start "$TMP/$impl" "$impl" "${PORT[$impl]}" || return 1
		UPSD[$impl]=$UPSD_PID
		DRIVER[$impl]=$DRIVER_PID
	done
}

servers_stop() {
	local impl
	for impl in "$@"; do
		alive "${UPSD[$impl]}" || log "$impl: upsd died during the run"
		echo "upsd.alive $(alive "${UPSD[$impl]}" && echo 1 || echo 0)" >>"$TMP/$impl/figures"
		stop_pid "${UPSD[$impl]}"    # upsd first: a 2.8.0 driver in -F dislikes losing it
		stop_pid "${DRIVER[$impl]}"
	done
}

# GET and LIST in 1 s slices alternating between the servers: both see the same machine load
measure_interleaved() {
	local ports pids labels
	ports=$(for i in "$@"; do echo "${PORT[$i]}"; done | paste -sd,)
	pids=$(for i in "$@"; do echo "${UPSD[$i]}"; done | paste -sd,)
	labels=$(printf '%s\n' "$@" | paste -sd,)
	log "GET VAR, $GET_CONNS connections, ${GET_SECS}s each ($*), 1 s slices"
	"$BENCH" get -p "$ports" -P "$pids" -L "$labels" -u "$UPS" -c "$GET_CONNS" \
		-t "$GET_SECS" -r "$GET_SECS" | split_figures
	log "LIST VAR, one connection, ${LIST_SECS}s each, 1 s slices"
	"$BENCH" list -p "$ports" -L "$labels" -u "$UPS" -t "$LIST_SECS" -r "$LIST_SECS" | split_figures
}

measure_one() {
	local impl=$1 dir=$TMP/$1
	log "$impl: LIST VAR x$LIST_TRACED under strace"
	traced_list "$dir" "${PORT[$impl]}" "${UPSD[$impl]}"
	log "$impl: $IDLE_CONNS idle connections, $IDLE_SAMPLES fresh GET VAR, ${IDLE_LOAD_SECS}s load"
	"$BENCH" idle -p "${PORT[$impl]}" -P "${UPSD[$impl]}" -u "$UPS" -n "$IDLE_CONNS" \
		-s "$IDLE_SAMPLES" -l "$IDLE_LOAD_SECS" -c "$GET_CONNS" -T "$IDLE_OPEN_LIMIT" >>"$dir/figures"
}

# ------------------------------------------------------------------ mains loss

# dev_flip DIR STATUS MTIME: the dump with ups.status replaced, new mtime, atomically renamed
dev_flip() {
	local dir=$1 status=$2 mtime=$3
	sed "s/^ups\.status: .*/ups.status: $status/" "$DEV" >"$dir/conf/$UPS.dev.new"
	touch -d "@$mtime" "$dir/conf/$UPS.dev.new"
	mv "$dir/conf/$UPS.dev.new" "$dir/conf/$UPS.dev"
}

upsmon_write() {
	local dir=$1 port=$2 t
	printf '#!/bin/sh\necho "$(date +%%s.%%N) $NOTIFYTYPE" >> %s/log/notify.log\n' "$dir" \
		>"$dir/notify.sh"
	printf '#!/bin/sh\necho "$(date +%%s.%%N)" >> %s/log/shutdown.log\n' "$dir" >"$dir/shutdown.sh"
	printf '#!/bin/sh\ncat >> %s/log/wall.log\n' "$dir" >"$dir/bin/wall"
	chmod 755 "$dir/notify.sh" "$dir/shutdown.sh" "$dir/bin/wall"
	{
		echo "MONITOR $UPS@127.0.0.1:$port 1 admin adminpass master"
		echo "MINSUPPLIES 1"
		echo "POLLFREQ 5"
		echo "POLLFREQALERT 5"
		echo "DEADTIME 15"
		echo "SHUTDOWNCMD \"$dir/shutdown.sh\""
		echo "NOTIFYCMD \"$dir/notify.sh\""
		echo "POWERDOWNFLAG $dir/killpower"
		for t in ONLINE ONBATT LOWBATT FSD COMMOK COMMBAD SHUTDOWN REPLBATT NOCOMM NOPARENT; do
			echo "NOTIFYFLAG $t EXEC"
		done
	} >"$dir/conf/upsmon.conf"
	chmod 644 "$dir/conf/upsmon.conf"
}

logged_in() { [[ $(ask "$1" "GET NUMLOGINS $UPS") == "NUMLOGINS $UPS "[1-9]* ]]; }

count_events() {
	local n
	n=$(grep -c " $2\$" "$1/log/notify.log" 2>/dev/null)
	echo "${n:-0}"
}

has_events() {  # has_events TYPE COUNT DIR...: every DIR logged COUNT TYPE events
	local type=$1 n=$2 d
	shift 2
	for d in "$@"; do [ "$(count_events "$d" "$type")" -ge "$n" ] || return 1; done
}

# start stack + upsmon for IMPL; echoes nothing, appends DIR to MAINS_DIRS
mains_start() {
	local impl=$1 dir=$TMP/mains-$1 port env
	port=$(free_port)
	stack_start "$dir" "$impl" "$port" || return 1
	mkdir -p "$dir/bin"
	upsmon_write "$dir" "$port"
	mapfile -t env < <(stack_env "$dir" "$impl")
	spawn "$dir/log/upsmon.log" env "${env[@]}" "PATH=$dir/bin:$PATH" \
		"$(impl_exe "$impl" upsmon)" -F -u root -f "$dir/conf/upsmon.conf"
	if ! wait_for 20 logged_in "$port"; then
		log "$impl: upsmon did not log in:"; tail -5 "$dir/log/upsmon.log" >&2; return 1
	fi
	MAINS_DIRS+=("$dir")
	MAINS_IMPLS+=("$impl")
}

# one outage per trial: OL -> OB in every tree at once, time until NOTIFYCMD hears ONBATT
mains_trials() {
	local trial mtime=1000000000 t0 i d ev
	for trial in $(seq "$MAINS_TRIALS"); do
		# a random phase against the 2 s driver and 5 s upsmon polls
		sleep "$((RANDOM % 5)).$((RANDOM % 10))"
		mtime=$((mtime + 10))
		for d in "${MAINS_DIRS[@]}"; do dev_flip "$d" OB "$mtime"; done
		t0=$(date +%s.%N)
		wait_for 30 has_events ONBATT "$trial" "${MAINS_DIRS[@]}" || log "mains: ONBATT missing"
		for i in "${!MAINS_DIRS[@]}"; do
			d=${MAINS_DIRS[$i]}
			ev=$(grep ' ONBATT$' "$d/log/notify.log" 2>/dev/null | sed -n "${trial}p" | cut -d' ' -f1)
			[ -n "$ev" ] && echo "$ev $t0" | awk '{ printf "mains.onbatt_s %.3f\n", $1 - $2 }' \
				>>"$TMP/${MAINS_IMPLS[$i]}/figures"
		done
		mtime=$((mtime + 10))
		for d in "${MAINS_DIRS[@]}"; do dev_flip "$d" OL "$mtime"; done
		wait_for 30 has_events ONLINE "$trial" "${MAINS_DIRS[@]}" || log "mains: ONLINE missing"
	done
}

mains() {
	local impl
	MAINS_DIRS=()
	MAINS_IMPLS=()
	for impl in "$@"; do mains_start "$impl" || log "$impl: mains-loss figure skipped"; done
	[ ${#MAINS_DIRS[@]} -gt 0 ] || return 0
	log "mains loss: $MAINS_TRIALS outages, ${MAINS_IMPLS[*]} side by side"
	mains_trials
}

# ------------------------------------------------------------------ report

# fig IMPL KEY [AGG]: a figure (AGG median|max over repeated keys), "" when missing
fig() {
	local f=$TMP/$1/figures
	[ -f "$f" ] || return 0
	awk -v k="$2" -v agg="${3:-last}" '
		$1 == k { v[n++] = $2 }
		END {
			if (!n) exit
			if (agg == "last") { print v[n-1]; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			if (agg == "max") print v[n-1]
			else if (agg == "min") print v[0]
			else print (n % 2) ? v[(n-1)/2] : (v[n/2-1] + v[n/2]) / 2
		}' "$f"
}

row() {         # row LABEL KEY [AGG]
	local a b r
	a=$(fig ours "$2" "${3:-}")
	b=$(fig nut "$2" "${3:-}")
	r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf "%.2f", a / b; else print "n/a" }')
	printf '%-48s | %12s | %12s | %7s\n' "$1" "${a:-n/a}" "${b:-n/a}" "$r"
}

report() {
	local impl k
	printf '\nnutbench %s on %s (%s CPUs, load %s)\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
		"$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-48s | %12s | %12s | %7s\n' metric ours "NUT 2.8.0" ratio
	printf '%s\n' "-------------------------------------------------+--------------+--------------+--------"
	row "GET VAR req/s, $GET_CONNS conns (higher better)" get.rps
	row "  upsd CPU us per GET (lower better)" get.cpu_us_per_req
	row "  GET latency p50 ms" get.p50_ms
	row "  GET latency p99 ms" get.p99_ms
	row "LIST VAR round trips/s, 1 conn (higher better)" list.rps
	row "  LIST latency p50 ms" list.p50_ms
	row "  lines per LIST reply (same work?)" list.lines_per_reply
	row "  upsd write syscalls per LIST (strace)" strace.writes_per_list
	row "  client recv() chunks per LIST reply" list.recv_chunks_per_reply
	row "$IDLE_CONNS idle conns: seconds to open" idle.open_seconds
	row "  connections held when measured" idle.held
	row "  server fds added (as upsd sees it)" idle.server_fds_added
	row "  upsd RSS MB added" idle.server_rss_mb_added
	row "  fresh conn GET VAR p50 ms (lower better)" idle.fresh.p50_ms
	row "  fresh conn GET VAR p99 ms" idle.fresh.p99_ms
	row "  GET VAR req/s, $GET_CONNS conns, idle held" idle.get.rps
	row "  upsd CPU us per GET, idle held" idle.get.cpu_us_per_req
	row "  keepalive VERs sent (NUT's 60 s idle limit)" idle.keepalives
	row "  idle conns dropped during the run" idle.dropped
	row "mains loss -> ONBATT NOTIFYCMD, median s" mains.onbatt_s median
	row "  max s over $MAINS_TRIALS outages (POLLFREQ 5)" mains.onbatt_s max
	printf 'ratio = ours / NUT 2.8.0. Raw figures: %s/{ours,nut}/figures (KEEP=1 keeps them)\n' "$TMP"
	for impl in ours nut; do
		[ "$(fig $impl upsd.alive)" = 0 ] && echo "WARNING: $impl upsd died during the run"
		for k in get.errors idle.get.errors idle.fresh_failed; do
			[ "$(fig $impl $k)" ] && [ "$(fig $impl $k)" != 0 ] && echo "WARNING: $impl $k = $(fig $impl $k)"
		done
	done
	return 0
}

# ------------------------------------------------------------------ main

main() {
	local impls=(ours) impl
	[ -x "$BENCH" ] || { log "$BENCH missing: run make in $BUILDDIR"; exit 2; }
	for p in upsd dummy-ups upsmon; do
		[ -x "$BUILDDIR/$p" ] || { log "$BUILDDIR/$p missing"; exit 2; }
	done
	if [ -x "$NUTREF/lib/nut/upsd" ]; then
		# a private copy: tests/run-all.sh stops every process running from its $NUTREF
		# that a test did not stop, and a suite may be running beside this benchmark
		REF=$TMP/nutref
		cp -a "$NUTREF" "$REF" && impls+=(nut)
	else
		log "no NUT 2.8.0 in NUTREF=$NUTREF (tests/interop/get-nutref.sh): ours only"
	fi
	ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	log "RLIMIT_NOFILE $(ulimit -n), MAXCONN $MAXCONN, temp dir $TMP"
	for impl in "${impls[@]}"; do mkdir -p "$TMP/$impl"; : >"$TMP/$impl/figures"; done
	if servers_start "${impls[@]}"; then
		measure_interleaved "${impls[@]}"
		for impl in "${impls[@]}"; do measure_one "$impl"; done
	else
		log "a server did not start: server figures skipped"
	fi
	servers_stop "${!UPSD[@]}"
	if [ "$MAINS_TRIALS" -gt 0 ]; then
		mains "${impls[@]}"
	fi
	report
}

main "$@"
