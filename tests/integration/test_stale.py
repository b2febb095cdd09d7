#!/usr/bin/env python3
"""Driver availability as clients see it (NUT 2.8.0 rules).

* driver gone (killed)        -> ERR DRIVER-NOT-CONNECTED, upsc "Error: Driver not connected"
* driver back                 -> upsd reconnects by itself, data served again
* driver silent > MAXAGE       -> ERR DATA-STALE, upsc "Error: Data stale" (driver SIGSTOPped,
                                 so it cannot answer upsd's PING)
* driver answers again         -> fresh again
LIST UPS and GET UPSDESC stay available throughout.
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402

MAXAGE = 4


def upsc_status(st):
    return st.upsc(st.target(), "ups.status", timeout=10)


def check_not_connected(t, st):
    pid = st.pid_of("dummy-ups-eco")
    os.kill(pid, signal.SIGKILL)
    st.procs.pop("dummy-ups-eco").wait()
    t0 = time.monotonic()
    rep = wait_for(lambda: st.get("eco", "ups.status") == "ERR DRIVER-NOT-CONNECTED", 6, 0.2)
    t.ok(rep, "driver killed: GET VAR -> ERR DRIVER-NOT-CONNECTED (%.1f s)"
         % (time.monotonic() - t0), "last reply %r\n%s" % (st.get("eco", "ups.status"), st.diag()))
    rc, out, err = upsc_status(st)
    t.ok(rc == 1 and "Error: Driver not connected" in err,
         "upsc prints 'Error: Driver not connected', exit 1", "rc=%d out=%r err=%r" % (rc, out, err))
    c = Conn(st.port)
    try:
        t.ok(c.list("UPS") == ['UPS eco "Eaton Ellipse ECO 1200 (simulated)"'],
             "LIST UPS still served without a driver")
        t.ok(c.cmd("LIST VAR eco") == "ERR DRIVER-NOT-CONNECTED",
             "LIST VAR -> ERR DRIVER-NOT-CONNECTED")
        t.ok(c.cmd("GET UPSDESC eco") == 'UPSDESC eco "Eaton Ellipse ECO 1200 (simulated)"',
             "GET UPSDESC still served without a driver")
    finally:
        c.close()


def check_reconnect(t, st):
    t0 = time.monotonic()
    t.ok(st.start_driver("eco"), "driver restarted", st.diag())
    fresh = wait_for(lambda: upsc_status(st)[:2] == (0, "OL\n"), 12, 0.3)
    t.ok(fresh, "upsd reconnects to the new driver: data fresh after %.1f s"
         % (time.monotonic() - t0), "%r\n%s" % (upsc_status(st), st.diag()))
    rc, out, err = st.upsc(st.target())
    t.ok(rc == 0 and "battery.charge: 100" in out and "ups.model: Ellipse ECO 1200" in out,
         "full variable list served again after reconnect", "rc=%d err=%r" % (rc, err))


def check_stale(t, st):
    pid = st.pid_of("dummy-ups-eco")
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    try:
        stale = wait_for(lambda: st.get("eco", "ups.status") == "ERR DATA-STALE", MAXAGE + 8, 0.3)
        took = time.monotonic() - t0
        t.ok(stale, "driver silent (SIGSTOP), MAXAGE %d: ERR DATA-STALE after %.1f s"
             % (MAXAGE, took), "last %r" % st.get("eco", "ups.status"))
        # the last PONG may be up to MAXAGE/3 old when the driver stops
        t.ok(took >= MAXAGE / 2, "not declared stale long before MAXAGE", "after %.1f s" % took)
        rc, out, err = upsc_status(st)
        t.ok(rc == 1 and "Error: Data stale" in err, "upsc prints 'Error: Data stale', exit 1",
             "rc=%d out=%r err=%r" % (rc, out, err))
        c = Conn(st.port)
        try:
            t.ok(len(c.list("UPS")) == 1, "LIST UPS still served while stale")
            t.ok(c.cmd("LIST VAR eco") == "ERR DATA-STALE", "LIST VAR -> ERR DATA-STALE")
        finally:
            c.close()
    finally:
        os.kill(pid, signal.SIGCONT)
    t0 = time.monotonic()
    fresh = wait_for(lambda: upsc_status(st)[:2] == (0, "OL\n"), MAXAGE + 8, 0.3)
    t.ok(fresh, "driver resumed: data fresh again after %.1f s" % (time.monotonic() - t0),
         "%r\n%s" % (upsc_status(st), st.diag()))


def check_running_not_stale(t, st):
    """A healthy driver answers PINGs: data must stay fresh well past MAXAGE."""
    end = time.monotonic() + 2 * MAXAGE + 2
    bad = None
    while time.monotonic() < end and bad is None:
        rep = st.get("eco", "ups.status")
        if rep != 'VAR eco ups.status "OL"':
            bad = rep
        time.sleep(0.5)
    t.ok(bad is None, "idle but healthy driver stays fresh for 2*MAXAGE (PING/PONG)",
         "got %r" % bad)


def main():
    t = Tap()
    t.bail_if_missing("upsd", "upsc", "dummy-ups")
    st = Stack("stale", maxage=MAXAGE)
    try:
        if not t.ok(st.start_all(), "dummy-ups + upsd start and serve eco", st.diag()):
            return t.done()
        check_running_not_stale(t, st)
        check_not_connected(t, st)
        check_reconnect(t, st)
        check_stale(t, st)
        t.ok(st.pid_of("upsd"), "upsd survived the driver's death and stall", st.diag())
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
