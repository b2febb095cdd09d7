#!/usr/bin/env python3
"""upsd at its descriptor limit, and refusals that are logged once with a count.

upsd's open-files limit is lowered to 32 while it runs (MAXCONN left at its
default, so the process limit is hit first). Connections beyond what upsd can
hold must be closed at once (the client sees end of stream, not a hang in the
listen queue), the log must not get one line per attempt, and upsd serves new
clients again once descriptors are free. Then MAXCONN 3: a burst of refused
connections gives one log line plus one count line, not one line each.
Prints TAP.
"""
import os
import resource
import select
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
NOFILE = 32
CLIENTS = 60


def outcomes(socks, timeout=10.0):
    """Per socket: 'served' (VER answered), 'closed' (EOF/reset) or 'hung' (nothing
    within timeout, counted from the start for all sockets at once)."""
    res = {}
    for s in socks:
        try:
            s.sendall(b"VER\n")
        except OSError:
            res[s] = "closed"
    end = time.monotonic() + timeout
    while len(res) < len(socks) and time.monotonic() < end:
        waiting = [s for s in socks if s not in res]
        ready = select.select(waiting, [], [], max(0.0, end - time.monotonic()))[0]
        for s in ready:
            try:
                data = s.recv(200)
            except OSError:
                data = b""
            if data.startswith(VER.encode()):
                res[s] = "served"
            else:
                res[s] = "closed" if data == b"" else "other"
    return [res.get(s, "hung") for s in socks]


def served_conn(port):
    """A session that got its VER answered, or None."""
    c = Conn(port)
    if c.cmd("VER") == VER:
        return c
    c.close()
    return None


def log_count(st, text):
    try:
        with open(st.log("upsd"), errors="replace") as f:
            return sum(1 for line in f if text in line)
    except OSError:
        return -1


def check_nofile(t, st):
    pid = st.pid_of("upsd")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (NOFILE, hard))
    socks = []
    before = log_count(st, "")
    try:
        for _ in range(CLIENTS):
            socks.append(socket.create_connection(("127.0.0.1", st.port), timeout=10))
        results = outcomes(socks)
        served, closed = results.count("served"), results.count("closed")
        t.ok(served >= 10 and served + closed == CLIENTS,
             "at the descriptor limit: %d served, the other %d closed at once (none hung)"
             % (served, closed), "results %r" % results)
        time.sleep(1.5)
        added = log_count(st, "") - before
        t.ok(log_count(st, "refused") > 0 and added <= 4,
             "refusals logged once with a count, not per attempt (%d new log lines)" % added,
             st.logtail("upsd", 8))
        t.ok(st.pid_of("upsd") == pid, "upsd still running at its descriptor limit")
    finally:
        for s in socks:
            s.close()
    ok = wait_for(lambda: st.get("eco", "ups.status") == 'VAR eco ups.status "OL"', 10, 0.3)
    t.ok(ok, "served again once clients went away", st.logtail("upsd", 8))


def check_maxconn_log(t):
    st = Stack("srvlim2", upsd_extra="MAXCONN 3\n")
    try:
        if not t.ok(st.start_all(), "stack with MAXCONN 3 started", st.diag()):
            return
        keep = []
        for _ in range(3):
            # the readiness probes' sessions may not be reaped yet: retry until served
            keep.append(wait_for(lambda: served_conn(st.port), 5, 0.2))
        t.ok(all(keep), "MAXCONN 3: three clients served")
        before = log_count(st, "refused")
        extra = [socket.create_connection(("127.0.0.1", st.port), timeout=10) for _ in range(20)]
        results = outcomes(extra)
        for s in extra:
            s.close()
        t.ok(results.count("closed") == 20, "MAXCONN 3: 20 more connections closed at once",
             "results %r" % results)
        wait_for(lambda: log_count(st, "refused") - before >= 2, 5, 0.3)
        lines = log_count(st, "refused") - before
        t.ok(lines == 2, "20 refusals: one line, then one line with the count (%d lines)" % lines,
             st.logtail("upsd", 8))
        t.ok(wait_for(lambda: "19 more connection" in st.logtail("upsd", 20), 5, 0.3),
             "the count line says 19 more", st.logtail("upsd", 8))
        for c in keep:
            if c:
                c.close()
    finally:
        st.cleanup()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    st = Stack("srvlim")
    try:
        if t.ok(st.start_all(), "driver + upsd serve eco", st.diag()):
            check_nofile(t, st)
    finally:
        st.cleanup()
    check_maxconn_log(t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
