#!/usr/bin/env python3
"""Our upsmon against Debian's real upsd + dummy-ups 2.8.0 ($NUTREF), issue test 7.

The same two scenarios run once on our server and once on Debian's; our upsmon must
notify the same things and reach the same result on both:
 * long outage: a primary and a secondary (both ours); OB, then OB LB -> the primary sets
   FSD through upsd, the secondary shuts down and logs out, the primary shuts down after
   it and writes POWERDOWNFLAG; upsmon -K exits 0
 * upsd restarted while OL: COMMBAD, COMMOK, no shutdown
Prints TAP; every test SKIPs without $NUTREF.
"""
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from upsmon_common import (Stack, Tap, Upsmon, binary, nutref, read,  # noqa: E402
                           wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))
MAGIC = "upsmon-shutdown-file"
NAMES = ["outage on %s upsd: %s" % (srv, what) for srv in ("ours", "Debian's")
         for what in ("FSD set by the primary", "secondary shut down first", "primary shut down",
                      "POWERDOWNFLAG and -K")] + \
        ["restart of %s upsd: COMMBAD then COMMOK, no shutdown" % srv
         for srv in ("ours", "Debian's")] + \
        ["same notifications on both servers (outage)",
         "same notifications on both servers (restart)"]


def sysname(st):
    return "ups@127.0.0.1:%d" % st.port


def outage(tap, server, label):
    """Returns (primary types, secondary types) or None."""
    st = Stack("io-%s" % server, server=server)
    try:
        st.start()
        sets = {"HOSTSYNC": 30, "FINALDELAY": 1}
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)], settings=sets)
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysname(st)], settings=sets)
        p.start()
        s.start()
        wait_for(lambda: st.numlogins() == 2, 15)
        st.set_status("OB DISCHRG")
        p.wait_event("ONBATT", 10)
        s.wait_event("ONBATT", 10)
        st.set_status("OB LB", wait=False)
        tap.ok(wait_for(lambda: (st.status() or "").startswith("FSD"), 15),
               "outage on %s upsd: FSD set by the primary" % label, st.status())
        done = wait_for(lambda: s.shut_down() and p.shut_down(), 30)
        tap.ok(done and s.marker_time() < p.marker_time() and s.wait_exit(10) == 0,
               "outage on %s upsd: secondary shut down first" % label,
               "%s\n%s" % (s.log(), p.log()))
        tap.ok(done and p.wait_exit(10) == 0 and "Host sync timer expired" not in p.log(300),
               "outage on %s upsd: primary shut down" % label, p.log())
        r = p.cmd("-K")
        tap.ok(read(p.pdflag) == MAGIC and r.returncode == 0,
               "outage on %s upsd: POWERDOWNFLAG and -K" % label, r.stdout + r.stderr)
        p.wait_event("SHUTDOWN", 10)
        s.wait_event("SHUTDOWN", 10)
        return sorted(p.types()), sorted(s.types())
    finally:
        st.cleanup(KEEP)


def restart(tap, server, label):
    st = Stack("io-r-%s" % server, server=server)
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 2, "HOSTSYNC": 2})
        p.start()
        wait_for(lambda: st.numlogins() == 1, 15)
        p.wait_polls(1)
        st.stop_upsd()
        p.wait_event("COMMBAD", 10)
        time.sleep(5)             # past DEADTIME + HOSTSYNC while unreachable and OL
        st.start_upsd()
        ok = p.wait_event("COMMOK", 15) and wait_for(lambda: st.numlogins() == 1, 10)
        p.wait_polls(2)
        tap.ok(ok and p.types() == ["COMMBAD", "COMMOK"] and not p.shut_down()
               and p.proc.poll() is None,
               "restart of %s upsd: COMMBAD then COMMOK, no shutdown" % label,
               "%s\n%s" % (p.types(), p.log()))
        return p.types()
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    if nutref() is None:
        for n in NAMES:
            tap.skip(n, "no reference NUT ($NUTREF)")
        return tap.done()
    if not all(binary(b) for b in ("upsmon", "upsd", "dummy-ups")):
        tap.ok(False, "binaries built: upsmon upsd dummy-ups")
        return tap.done()
    res = {}
    for server, label in (("ours", "ours"), ("ref", "Debian's")):
        try:
            res[server] = (outage(tap, server, label), restart(tap, server, label))
        except Exception as e:
            tap.ok(False, "scenarios on %s upsd ran to the end" % label, repr(e))
            res[server] = (None, None)
    ours, ref = res["ours"], res["ref"]
    tap.ok(ours[0] is not None and ours[0] == ref[0],
           "same notifications on both servers (outage)", "ours %s\nref  %s" % (ours[0], ref[0]))
    tap.ok(ours[1] is not None and ours[1] == ref[1],
           "same notifications on both servers (restart)", "ours %s\nref  %s" % (ours[1], ref[1]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
