#!/usr/bin/env python3
"""upsmon power scenarios against our upsd + dummy-ups on loopback.

(a) short outage, (b) primary + secondary FSD choreography and upsmon -K,
(c) upsd restarted, (d) UPS unreachable while OB past DEADTIME / while OL,
(e) MINSUPPLIES 2 with two UPSes. Power events are driven with SET VAR
ups.status through upsd (dummy-ups makes every variable writable).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import Stack, Tap, Upsmon, need_binaries, read, wait_for  # noqa: E402

KEEP = bool(os.environ.get("KEEP_TMP"))


def sysname(stack, ups="ups"):
    return "%s@127.0.0.1:%d" % (ups, stack.port)


def scenario_a(tap):
    """short outage: ONBATT then ONLINE, no shutdown"""
    st = Stack("a")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        p.start()
        tap.ok(wait_for(lambda: p.pid() is not None, 10), "a: upsmon writes its PID file",
               p.log())
        time.sleep(2.5)
        tap.ok(p.types() == [], "a: no notification at startup (first OL and COMMOK suppressed)",
               p.types())
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 5), "a: ONBATT notified", p.log())
        st.set_status("OL")
        tap.ok(p.wait_event("ONLINE", 5), "a: ONLINE notified", p.log())
        time.sleep(2)
        tap.ok(p.types() == ["ONBATT", "ONLINE"], "a: notify sequence is ONBATT, ONLINE",
               p.types())
        ev = p.events()
        tap.ok(all(e[2] == sysname(st) for e in ev), "a: UPSNAME is the MONITOR system string",
               ev)
        tap.ok(not p.shut_down() and not os.path.exists(p.pdflag),
               "a: no shutdown, no POWERDOWNFLAG")
        r = p.cmd("-c", "stop")
        tap.ok(r.returncode == 0, "a: upsmon -c stop exits 0", r.stdout + r.stderr)
        tap.ok(p.wait_exit(10) == 0, "a: upsmon exits 0 after -c stop", p.log())
        tap.ok(wait_for(lambda: p.pid() is None, 5), "a: PID file removed at exit")
    finally:
        st.cleanup(KEEP)


def scenario_b(tap):
    """long outage with primary + secondary: FSD choreography"""
    st = Stack("b")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"HOSTSYNC": 15, "FINALDELAY": 1})
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)],
                   settings={"HOSTSYNC": 15, "FINALDELAY": 1})
        p.start()
        s.start()
        tap.ok(wait_for(lambda: st.numlogins() == 2, 10), "b: both upsmon logged in (NUMLOGINS 2)",
               p.log() + s.log())
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 5) and s.wait_event("ONBATT", 5),
               "b: both notified ONBATT")
        st.set_status("OB LB", wait=False)
        tap.ok(wait_for(lambda: (st.status() or "").startswith("FSD"), 10),
               "b: primary sets FSD on the UPS (status FSD OB LB)", st.status())
        tap.ok(wait_for(s.shut_down, 10), "b: secondary runs SHUTDOWNCMD", s.log())
        tap.ok(s.wait_exit(10) == 0, "b: secondary upsmon exits", s.log())
        tap.ok(wait_for(p.shut_down, 20), "b: primary runs SHUTDOWNCMD", p.log())
        ts, tp = s.marker_time(), p.marker_time()
        tap.ok(ts is not None and tp is not None and ts < tp,
               "b: secondary shut down before the primary", (ts, tp))
        tap.ok(read(p.pdflag) == "upsmon-shutdown-file",
               "b: POWERDOWNFLAG holds exactly upsmon-shutdown-file", repr(read(p.pdflag)))
        tap.ok(read(p.marker).split()[1:] == ["0"], "b: SHUTDOWNCMD ran as root (parent)",
               read(p.marker))
        tap.ok(p.wait_exit(10) == 0, "b: primary upsmon exits", p.log())
        types_s = s.types()
        tap.ok(types_s[:1] == ["ONBATT"] and {"LOWBATT", "FSD", "SHUTDOWN"} <= set(types_s)
               and types_s.index("SHUTDOWN") > types_s.index("ONBATT"),
               "b: secondary notified ONBATT, FSD, SHUTDOWN", types_s)
        types_p = p.types()
        tap.ok(types_p[:1] == ["ONBATT"] and "LOWBATT" in types_p and types_p[-1] == "SHUTDOWN"
               and "FSD" not in types_p, "b: primary notified ONBATT, LOWBATT, SHUTDOWN", types_p)
        r = p.cmd("-K")
        tap.ok(r.returncode == 0, "b: upsmon -K exits 0 after the shutdown", r.stdout + r.stderr)
        os.unlink(p.pdflag)
        r = p.cmd("-K")
        tap.ok(r.returncode == 1, "b: upsmon -K exits 1 without the flag", r.stdout + r.stderr)
    finally:
        st.cleanup(KEEP)


def scenario_c(tap):
    """upsd restarted: COMMBAD, COMMOK, no shutdown while OL"""
    st = Stack("c")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 2, "HOSTSYNC": 2})
        p.start()
        time.sleep(2.5)
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 5), "c: COMMBAD when upsd goes away", p.log())
        time.sleep(4)    # longer than DEADTIME + HOSTSYNC
        st.start_upsd()
        tap.ok(p.wait_event("COMMOK", 10), "c: COMMOK when upsd is back", p.log())
        time.sleep(2)
        tap.ok(p.types() == ["COMMBAD", "COMMOK"], "c: notify sequence COMMBAD, COMMOK",
               p.types())
        tap.ok(not p.shut_down() and p.proc.poll() is None, "c: no shutdown while OL")
        tap.ok(wait_for(lambda: st.numlogins() == 1, 5), "c: upsmon logged in again")
    finally:
        st.cleanup(KEEP)


def scenario_d(tap):
    """UPS unreachable while OB past DEADTIME -> shutdown; while OL -> NOCOMM only"""
    st = Stack("d")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 3, "HOSTSYNC": 3})
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)],
                   settings={"DEADTIME": 3, "HOSTSYNC": 3})
        p.start()
        s.start()
        wait_for(lambda: st.numlogins() == 2, 10)
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 5) and s.wait_event("ONBATT", 5), "d: ONBATT on both")
        t0 = time.time()
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 5), "d: primary COMMBAD", p.log())
        tap.ok(wait_for(p.shut_down, 10), "d: primary shuts down after DEADTIME", p.log())
        tp = time.time() - t0
        tap.ok(tp >= 3, "d: primary waited DEADTIME (%.1f s)" % tp)
        tap.ok(wait_for(s.shut_down, 10), "d: secondary shuts down too", s.log())
        tap.ok(p.types() == ["ONBATT", "COMMBAD", "SHUTDOWN"],
               "d: primary sequence ONBATT, COMMBAD, SHUTDOWN", p.types())
    finally:
        st.cleanup(KEEP)

    st = Stack("d2")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 2, "HOSTSYNC": 2, "NOCOMMWARNTIME": 2})
        p.start()
        time.sleep(2.5)
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 5), "d: OL then unreachable: COMMBAD", p.log())
        tap.ok(p.wait_event("NOCOMM", 8), "d: NOCOMM after NOCOMMWARNTIME", p.log())
        time.sleep(3)
        tap.ok(not p.shut_down() and p.proc.poll() is None,
               "d: no shutdown for an unreachable UPS last seen OL", p.types())
        tap.ok("SHUTDOWN" not in p.types() and p.types()[0] == "COMMBAD",
               "d: only COMMBAD/NOCOMM notified", p.types())
    finally:
        st.cleanup(KEEP)


def scenario_e(tap):
    """MINSUPPLIES 2 with two UPSes"""
    st = Stack("e", ups=("ups1", "ups2"))
    try:
        st.start()
        mons = ["%s 1 admin adminpass primary" % sysname(st, u) for u in ("ups1", "ups2")]
        a = Upsmon(st, "a", mons, settings={"MINSUPPLIES": 2, "HOSTSYNC": 3})
        secs = ["%s 1 monuser secret secondary" % sysname(st, u) for u in ("ups1", "ups2")]
        b = Upsmon(st, "b", secs, settings={"MINSUPPLIES": 1, "HOSTSYNC": 3})
        bad = Upsmon(st, "bad", mons, settings={"MINSUPPLIES": 3})
        r = bad.cmd("-F")
        tap.ok(r.returncode == 1 and "insufficient power configured" in r.stdout,
               "e: MINSUPPLIES above the configured power refuses to start", r.stdout + r.stderr)
        a.start()
        b.start()
        wait_for(lambda: st.numlogins("ups1") == 2 and st.numlogins("ups2") == 2, 10)
        st.set_status("OB DISCHRG", ups="ups1")
        tap.ok(a.wait_event("ONBATT", 5), "e: ONBATT for ups1", a.log())
        time.sleep(1.5)
        tap.ok(not a.shut_down(), "e: one UPS on battery (not low) is no reason to shut down")
        st.set_status("OB LB", ups="ups1", wait=False)
        tap.ok(wait_for(a.shut_down, 15), "e: MINSUPPLIES 2: losing one UPS shuts down", a.log())
        tap.ok(b.wait_event("FSD", 5), "e: the other host sees FSD on ups1", b.log())
        time.sleep(3)
        tap.ok(not b.shut_down() and "SHUTDOWN" not in b.types(),
               "e: MINSUPPLIES 1 with ups2 healthy: no shutdown", b.types())
        ev = [e for e in a.events() if e[1] == "ONBATT"]
        tap.ok(ev and ev[0][2] == sysname(st, "ups1"), "e: UPSNAME names ups1", ev)
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upsmon", "upsd", "dummy-ups"])
    only = sys.argv[1:]
    for name, fn in (("a", scenario_a), ("b", scenario_b), ("c", scenario_c),
                     ("d", scenario_d), ("e", scenario_e)):
        if only and name not in only:
            continue
        try:
            fn(tap)
        except Exception as e:  # a broken stack is a failed test, not a crash
            tap.ok(False, "%s: scenario ran" % name, repr(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
