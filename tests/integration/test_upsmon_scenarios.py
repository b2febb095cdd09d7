#!/usr/bin/env python3
"""upsmon power scenarios on loopback, our upsd + dummy-ups (the UPS is driven by
rewriting its .dev file). Every upsmon has a NOTIFYCMD log and a SHUTDOWNCMD marker;
the assertions are on those, on upsd (FSD, NUMLOGINS) and on POWERDOWNFLAG.

 a  short outage: ONBATT, ONLINE, no shutdown; 2.8 status words (CAL, OFF, BYPASS,
    ALARM, OTHER) notified on and off; -c stop
 b  long outage (issue test 1): primary + our secondary + Debian's upsmon 2.8.0 as a
    second secondary ($NUTREF; that part SKIPs without it): LB -> FSD -> both
    secondaries shut down and log out -> primary shuts down after them, writes
    POWERDOWNFLAG; upsmon -K then exits 0
 c  upsd restarted (issue test 4): COMMBAD then COMMOK, no shutdown while OL
 d  UPS unreachable (issue test 5): on battery past DEADTIME -> shutdown (primary and
    secondary); online -> only COMMBAD then NOCOMM after NOCOMMWARNTIME
 e  MINSUPPLIES 2, two UPSes of power value 2 (issue test 6): one critical is not
    enough, both are
 f  the root parent dies: NOPARENT
 g  upsmon -c fsd on a primary: FSD set through upsd, shutdown
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (Stack, Tap, Upsmon, need_binaries, nutref, read,  # noqa: E402
                           ref_binary, wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))
MAGIC = "upsmon-shutdown-file"


def sysname(st, ups="ups"):
    return "%s@127.0.0.1:%d" % (ups, st.port)


def diag(*mons):
    return "\n".join("--- %s: %s\n%s" % (m.tag, m.types(), m.log(25)) for m in mons)


def scenario_a(tap):
    """short outage, 2.8 status words, -c stop"""
    st = Stack("a")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        p.start()
        tap.ok(wait_for(lambda: p.pid() is not None and st.numlogins() == 1, 10),
               "a: upsmon writes its PID file and logs in (NUMLOGINS 1)", p.log())
        p.wait_polls(2)
        tap.ok(p.types() == [], "a: nothing notified at startup (first OL, no COMMOK)", p.types())
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 10), "a: ONBATT", diag(p))
        st.set_status("OL CHRG")
        tap.ok(p.wait_event("ONLINE", 10), "a: ONLINE", diag(p))
        ev = p.events()
        tap.ok([e[1] for e in ev] == ["ONBATT", "ONLINE"]
               and all(e[2] == sysname(st) for e in ev),
               "a: sequence ONBATT, ONLINE with UPSNAME = the MONITOR system string", ev)
        tap.ok([e[3] for e in ev] == ["UPS %s on battery" % sysname(st),
                                      "UPS %s on line power" % sysname(st)],
               "a: NOTIFYCMD gets NUT's default messages as $1", ev)
        tap.ok("UPS %s on battery" % sysname(st) in read(st.wall_log),
               "a: WALL flag: the message went to wall", read(st.wall_log))
        # NUT 2.8 status words, each on then off
        want = []
        for word, extra in (("CAL", None), ("OFF", None), ("BYPASS", None),
                            ("ALARM", {"ups.alarm": "Replace battery!"}), ("FROB", None)):
            on = "OTHER" if word == "FROB" else word
            st.set_status("OL " + word, extra=extra)
            p.wait_event(on, 10)
            st.set_status("OL")
            p.wait_event("NOT" + on, 10)
            want += [on, "NOT" + on]
        tap.ok(p.types()[2:] == want,
               "a: CAL/NOTCAL, OFF/NOTOFF, BYPASS/NOTBYPASS, ALARM/NOTALARM, OTHER/NOTOTHER",
               diag(p))
        msgs = {e[1]: e[3] for e in p.events()}
        tap.ok(msgs.get("ALARM") == "UPS %s: one or more active alarms: [Replace battery!]"
               % sysname(st) and msgs.get("OTHER") ==
               "UPS %s: has at least one unclassified status token: [FROB]" % sysname(st),
               "a: ALARM carries ups.alarm, OTHER the unknown word", msgs)
        tap.ok(not p.shut_down() and not os.path.exists(p.pdflag), "a: no shutdown, no flag")
        r = p.cmd("-c", "stop")
        tap.ok(r.returncode == 0, "a: upsmon -c stop exits 0", r.stdout + r.stderr)
        tap.ok(p.wait_exit(10) == 0, "a: upsmon exits 0 after -c stop", p.log())
        tap.ok(wait_for(lambda: p.pid() is None, 5), "a: PID file removed at exit")
        tap.ok(wait_for(lambda: st.numlogins() == 0, 5), "a: logged out (NUMLOGINS 0)")
    finally:
        st.cleanup(KEEP)


def scenario_b(tap):
    """long outage: primary + two secondaries (ours, Debian's)"""
    st = Stack("b")
    ref = nutref() is not None and ref_binary("upsmon") is not None
    why = "no $NUTREF"
    if ref and os.path.isdir("/run/nut"):
        # Debian's 2.8.0 upsmon writes /run/nut/upsmon.pid whatever NUT_ALTPIDPATH says
        ref, why = False, "/run/nut exists: Debian's upsmon would write its PID file there"
    try:
        st.start()
        sets = {"HOSTSYNC": 30, "FINALDELAY": 1}
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)], settings=sets)
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)], settings=sets)
        mons = [p, s]
        if ref:
            r = Upsmon(st, "r", ["%s 1 monuser secret slave" % sysname(st)], settings=sets,
                       impl="ref")
            mons.append(r)
        for m in mons:
            m.start()
        n = len(mons)
        tap.ok(wait_for(lambda: st.numlogins() == n, 15),
               "b: all %d upsmon logged in (NUMLOGINS %d)" % (n, n), diag(*mons))
        st.set_status("OB DISCHRG")
        tap.ok(all(m.wait_event("ONBATT", 10) for m in mons), "b: every upsmon: ONBATT",
               diag(*mons))
        tap.ok(all(not m.shut_down() for m in mons), "b: on battery alone shuts nothing down")
        t_lb = time.time()
        st.set_status("OB LB", wait=False)
        tap.ok(wait_for(lambda: (st.status() or "").startswith("FSD"), 15),
               "b: the primary sets FSD on the UPS (upsd serves FSD OB LB)", st.status())
        tap.ok(wait_for(s.shut_down, 15), "b: our secondary runs SHUTDOWNCMD", diag(s))
        if ref:
            tap.ok(wait_for(r.shut_down, 15), "b: Debian's secondary runs SHUTDOWNCMD", diag(r))
        else:
            tap.skip("b: Debian's secondary runs SHUTDOWNCMD", why)
        tap.ok(wait_for(p.shut_down, 25), "b: the primary runs SHUTDOWNCMD", diag(p))
        tp = p.marker_time() or 0
        secs = [m.marker_time() or 1e12 for m in mons[1:]]
        tap.ok(all(ts < tp for ts in secs), "b: ... after the secondaries (%s < %.2f)"
               % (["%.2f" % x for x in secs], tp))
        tap.ok(tp - t_lb < 25 and "Host sync timer expired" not in p.log(400),
               "b: ... because they logged out, not because HOSTSYNC (30 s) expired",
               p.log(60))
        tap.ok(read(p.pdflag) == MAGIC, "b: primary's POWERDOWNFLAG holds exactly %s" % MAGIC,
               repr(read(p.pdflag)))
        tap.ok(read(s.pdflag) == MAGIC, "b: secondary's POWERDOWNFLAG written too",
               repr(read(s.pdflag)))
        tap.ok(read(p.marker).split()[1:] == ["0"], "b: SHUTDOWNCMD ran as root (the parent)",
               read(p.marker))
        tap.ok(all(m.wait_exit(15) == 0 for m in mons), "b: every upsmon exits 0",
               [m.proc.poll() for m in mons])
        tap.ok(st.numlogins() == 0, "b: NUMLOGINS 0 at the end", st.numlogins())
        # notifiers run concurrently (as NUT's): events of one poll may log in any order
        ps = p.types()
        tap.ok(ps[:1] == ["ONBATT"] and ps[-1:] == ["SHUTDOWN"] and sorted(ps) ==
               ["LOWBATT", "ONBATT", "SHUTDOWN", "SHUTDOWN_HOSTSYNC"],
               "b: primary notified ONBATT, LOWBATT + SHUTDOWN_HOSTSYNC, SHUTDOWN", ps)
        ss = s.types()
        tap.ok(ss[:1] == ["ONBATT"] and sorted(ss) == ["FSD", "LOWBATT", "ONBATT", "SHUTDOWN"],
               "b: our secondary notified ONBATT, then LOWBATT, FSD, SHUTDOWN", ss)
        if ref:
            tap.ok(sorted(r.types()) == sorted(ss) and r.types()[:1] == ["ONBATT"],
                   "b: Debian's secondary notified the same (%s)" % r.types(), diag(s, r))
        else:
            tap.skip("b: Debian's secondary notified the same", why)
        wall = read(st.wall_log)
        tap.ok(wall.count("Executing automatic power-fail shutdown") >= 2,
               "b: 'Executing automatic power-fail shutdown' went to wall", wall)
        res = p.cmd("-K")
        tap.ok(res.returncode == 0 and "Power down flag is set" in res.stdout + res.stderr,
               "b: upsmon -K exits 0 after the shutdown", res.stdout + res.stderr)
        os.unlink(p.pdflag)
        res = p.cmd("-K")
        tap.ok(res.returncode == 1, "b: upsmon -K exits 1 without the flag",
               res.stdout + res.stderr)
    finally:
        st.cleanup(KEEP)


def scenario_c(tap):
    """upsd restarted while the UPS is OL"""
    st = Stack("c")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 2, "HOSTSYNC": 2})
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)],
                   settings={"DEADTIME": 2, "HOSTSYNC": 2})
        p.start()
        s.start()
        tap.ok(wait_for(lambda: st.numlogins() == 2, 10) and p.wait_polls(1) and s.wait_polls(1),
               "c: both logged in and polling", diag(p, s))
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 10) and s.wait_event("COMMBAD", 10),
               "c: COMMBAD when upsd goes away", diag(p, s))
        q = Upsmon(st, "q", ["%s 1 monuser secret secondary" % sysname(st)])
        q.start()                # started while upsd is down
        tap.ok(q.wait_event("COMMBAD", 10), "c: an upsmon started while upsd is down: COMMBAD",
               diag(q))
        time.sleep(5)    # longer than DEADTIME + HOSTSYNC
        st.start_upsd()
        tap.ok(p.wait_event("COMMOK", 15) and s.wait_event("COMMOK", 15),
               "c: COMMOK when upsd is back", diag(p, s))
        tap.ok(wait_for(lambda: st.numlogins() == 3, 10), "c: all three logged in again",
               st.numlogins())
        p.wait_polls(2)
        tap.ok(p.types() == ["COMMBAD", "COMMOK"] and s.types() == ["COMMBAD", "COMMOK"],
               "c: sequence COMMBAD, COMMOK (no ONLINE, no NOCOMM)", diag(p, s))
        tap.ok(not p.shut_down() and not s.shut_down() and p.proc.poll() is None
               and s.proc.poll() is None, "c: no shutdown while OL")
        tap.ok(q.wait_event("COMMOK", 10) and "ONLINE" not in q.types() and not q.shut_down(),
               "c: ... it says COMMOK once upsd is up, and no ONLINE for the first OL",
               diag(q))
    finally:
        st.cleanup(KEEP)


def scenario_d(tap):
    """UPS unreachable: on battery past DEADTIME -> shutdown; online -> NOCOMM only"""
    st = Stack("d1")
    try:
        st.start()
        sets = {"DEADTIME": 6, "HOSTSYNC": 3}
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)], settings=sets)
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)], settings=sets)
        p.start()
        s.start()
        wait_for(lambda: st.numlogins() == 2, 10)
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 10) and s.wait_event("ONBATT", 10), "d: ONBATT",
               diag(p, s))
        p.wait_polls(1)
        s.wait_polls(1)
        t_gone = time.time()
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 10) and s.wait_event("COMMBAD", 10),
               "d: COMMBAD when the server goes away", diag(p, s))
        tap.ok(wait_for(lambda: p.shut_down() and s.shut_down(), 25),
               "d: on battery and unreachable past DEADTIME: both shut down", diag(p, s))
        first = min(p.marker_time() or 0, s.marker_time() or 0)
        tap.ok(first - t_gone >= 6 - 1 - 0.5,
               "d: ... not before DEADTIME (6 s) since the last good poll (%.1f s)"
               % (first - t_gone))
        tap.ok(p.wait_event("SHUTDOWN", 10) and s.wait_event("SHUTDOWN", 10) and
               p.types()[-1:] == ["SHUTDOWN"] and s.types()[-1:] == ["SHUTDOWN"],
               "d: SHUTDOWN notified", diag(p, s))
        tap.ok(read(p.pdflag) == MAGIC, "d: POWERDOWNFLAG written", repr(read(p.pdflag)))
    finally:
        st.cleanup(KEEP)

    st = Stack("d2")
    try:
        st.start()
        sets = {"DEADTIME": 2, "HOSTSYNC": 2, "NOCOMMWARNTIME": 4}
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)], settings=sets)
        p.start()
        wait_for(lambda: st.numlogins() == 1, 10)
        p.wait_polls(2)
        t_gone = time.time()
        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 10), "d: online and unreachable: COMMBAD", diag(p))
        tap.ok(p.wait_event("NOCOMM", 15), "d: ... then NOCOMM", diag(p))
        first = [e[0] for e in p.events() if e[1] == "NOCOMM"][0]
        tap.ok(first - t_gone >= 4 - 1 - 0.5,
               "d: ... not before NOCOMMWARNTIME (4 s) (%.1f s)" % (first - t_gone))
        time.sleep(3)            # past DEADTIME + HOSTSYNC (2 + 2) since the loss
        tap.ok(not p.shut_down() and p.proc.poll() is None and
               set(p.types()) == {"COMMBAD", "NOCOMM"},
               "d: online and unreachable past DEADTIME+HOSTSYNC: no shutdown", diag(p))
    finally:
        st.cleanup(KEEP)


def scenario_e(tap):
    """MINSUPPLIES 2 with two UPSes of power value 2"""
    st = Stack("e", ups=("ups1", "ups2"))
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 2 admin adminpass primary" % sysname(st, "ups1"),
                             "%s 2 admin adminpass primary" % sysname(st, "ups2")],
                   settings={"MINSUPPLIES": 2, "HOSTSYNC": 2})
        p.start()
        tap.ok(wait_for(lambda: st.numlogins("ups1") == 1 and st.numlogins("ups2") == 1, 10),
               "e: logged in to both UPSes", diag(p))
        st.set_status("OB LB", "ups1")
        tap.ok(p.wait_event("LOWBATT", 10), "e: ups1 OB LB: LOWBATT", diag(p))
        p.wait_polls(6)          # both UPSes polled three times more, HOSTSYNC passed
        tap.ok(not p.shut_down() and p.proc.poll() is None
               and not (st.status("ups1") or "").startswith("FSD"),
               "e: one critical UPS (power left 2 >= MINSUPPLIES 2): no shutdown", diag(p))
        st.set_status("OB LB", "ups2", wait=False)
        tap.ok(wait_for(p.shut_down, 15), "e: both critical (power 0 < 2): shutdown", diag(p))
        tap.ok((st.status("ups1") or "").startswith("FSD")
               and (st.status("ups2") or "").startswith("FSD"),
               "e: FSD set on both UPSes", (st.status("ups1"), st.status("ups2")))
        lows = [e[2] for e in p.events() if e[1] == "LOWBATT"]
        tap.ok(sorted(lows) == sorted([sysname(st, "ups1"), sysname(st, "ups2")]),
               "e: LOWBATT once per UPS with its own UPSNAME", lows)
    finally:
        st.cleanup(KEEP)


def scenario_f(tap):
    """the root parent dies: NOPARENT"""
    st = Stack("f")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        p.start()
        tap.ok(wait_for(lambda: p.pid() is not None, 10), "f: started", p.log())
        child = p.pid()
        tap.ok(child != p.proc.pid, "f: the PID file names the child, not the root parent",
               (child, p.proc.pid))
        p.proc.send_signal(signal.SIGKILL)
        p.proc.wait(5)
        tap.ok(p.wait_event("NOPARENT", 10), "f: NOPARENT once the parent is gone", diag(p))
        ev = [e for e in p.events() if e[1] == "NOPARENT"]
        tap.ok(ev and ev[0][2] == "" and
               ev[0][3] == "upsmon parent process died - shutdown impossible",
               "f: NOPARENT has no UPSNAME and NUT's message", ev)
        os.kill(child, signal.SIGTERM)
        tap.ok(wait_for(lambda: not os.path.exists("/proc/%d" % child)
                        or read("/proc/%d/stat" % child).split()[2:3] == ["Z"], 10),
               "f: the orphaned child still stops on SIGTERM")
    finally:
        st.cleanup(KEEP)


def scenario_g(tap):
    """upsmon -c fsd on a primary"""
    st = Stack("g")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"HOSTSYNC": 3})
        p.start()
        wait_for(lambda: st.numlogins() == 1, 10)
        r = p.cmd("-c", "fsd")
        tap.ok(r.returncode == 0, "g: upsmon -c fsd exits 0", r.stdout + r.stderr)
        tap.ok(wait_for(p.shut_down, 15), "g: the user FSD shuts down", diag(p))
        tap.ok((st.status() or "").startswith("FSD"), "g: ... after setting FSD on the UPS",
               st.status())
        tap.ok("User requested FSD" in p.log(200) and p.wait_event("SHUTDOWN", 10) and
               p.types()[-1:] == ["SHUTDOWN"],
               "g: logged 'User requested FSD', notified SHUTDOWN", diag(p))
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upsmon", "upsd", "dummy-ups"])
    if nutref() is None or ref_binary("upsmon") is None:
        tap.diag("no $NUTREF: scenario b runs without Debian's upsmon")
    only = os.environ.get("UPSMON_ONLY", "")    # e.g. "a,c" while debugging
    for fn in (scenario_a, scenario_b, scenario_c, scenario_d, scenario_e, scenario_f,
               scenario_g):
        if only and fn.__name__[-1] not in only.split(","):
            continue
        try:
            fn(tap)
        except Exception as e:   # a broken scenario is a failure, the others still run
            tap.ok(False, "%s ran to the end" % fn.__name__, repr(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
