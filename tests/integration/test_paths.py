#!/usr/bin/env python3
"""NUT_CONFPATH / NUT_STATEPATH / NUT_ALTPIDPATH, PID files, `upsd -c stop`.

Config, state and pid live in three different private directories. Both
daemons run in the background (no -F), so they write their PID files:
  NUT_ALTPIDPATH/dummy-ups-eco.pid, NUT_ALTPIDPATH/upsd.pid
and the driver socket is NUT_STATEPATH/dummy-ups-eco.
"""
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, Tap, binary, is_ours, read_pidfile, wait_for  # noqa: E402


def check_running(t, st):
    drv_pid = read_pidfile(os.path.join(st.pid, "dummy-ups-eco.pid"))
    upsd_pid = read_pidfile(os.path.join(st.pid, "upsd.pid"))
    t.ok(drv_pid and is_ours(drv_pid), "NUT_ALTPIDPATH/dummy-ups-eco.pid names the running driver",
         "pid %r, dir %r" % (drv_pid, os.listdir(st.pid)))
    t.ok(upsd_pid and is_ours(upsd_pid), "NUT_ALTPIDPATH/upsd.pid names the running upsd",
         "pid %r, dir %r" % (upsd_pid, os.listdir(st.pid)))
    t.ok(os.path.exists(st.sockpath("eco")), "driver socket at NUT_STATEPATH/dummy-ups-eco",
         repr(os.listdir(st.state)))
    t.ok(not [f for f in os.listdir(st.state) if f.endswith(".pid")],
         "no pid file in NUT_STATEPATH when NUT_ALTPIDPATH is set", repr(os.listdir(st.state)))
    t.ok(sorted(os.listdir(st.conf)) == ["ellipse-eco-1200.dev", "ups.conf", "upsd.conf",
                                         "upsd.users"], "nothing written to NUT_CONFPATH",
         repr(os.listdir(st.conf)))
    rc, out, err = st.upsc(st.target(), "ups.model")
    t.ok(rc == 0 and out == "Ellipse ECO 1200\n",
         "upsd read NUT_CONFPATH (port, ups.conf) and reached the driver in NUT_STATEPATH",
         "rc=%d out=%r err=%r" % (rc, out, err))
    return drv_pid, upsd_pid


def check_stop(t, st, upsd_pid):
    rc, out, err = st.run([binary("upsd"), "-c", "stop"])
    t.ok(rc == 0, "upsd -c stop exits 0", "rc=%d out=%r err=%r" % (rc, out, err))
    t.ok(wait_for(lambda: not is_ours(upsd_pid), 5), "upsd process gone after -c stop")
    t.ok(wait_for(lambda: not os.path.exists(os.path.join(st.pid, "upsd.pid")), 3),
         "upsd.pid removed on exit", repr(os.listdir(st.pid)))
    rc, out, err = st.upsc(st.target(), "ups.status")
    t.ok(rc != 0, "nothing answers on the port any more", "rc=%d out=%r" % (rc, out))
    rc, out, err = st.run([binary("upsd"), "-c", "stop"])
    t.ok(rc != 0, "upsd -c stop with no upsd running: non-zero exit",
         "rc=%d out=%r err=%r" % (rc, out, err))


def check_driver_stop(t, st, drv_pid):
    os.kill(drv_pid, signal.SIGTERM)
    t.ok(wait_for(lambda: not is_ours(drv_pid), 5), "driver exits on SIGTERM")
    t.ok(wait_for(lambda: not os.path.exists(st.sockpath("eco")), 3),
         "driver socket removed on exit", repr(os.listdir(st.state)))
    t.ok(not os.path.exists(os.path.join(st.pid, "dummy-ups-eco.pid")),
         "driver pid file removed on exit", repr(os.listdir(st.pid)))


def check_no_env(t, st):
    """Without NUT_ALTPIDPATH the pid file goes to NUT_STATEPATH."""
    env_backup = st.env
    st.env = lambda: {k: v for k, v in env_backup().items() if k != "NUT_ALTPIDPATH"}
    try:
        st.run_daemon("upsd-statepid", [binary("upsd"), "-u", "root"],
                      os.path.join(st.state, "upsd.pid"))
        pid = read_pidfile(os.path.join(st.state, "upsd.pid"))
        t.ok(pid and is_ours(pid), "NUT_ALTPIDPATH unset: upsd.pid in NUT_STATEPATH",
             "state=%r pid=%r" % (os.listdir(st.state), os.listdir(st.pid)))
    finally:
        st.stop("upsd-statepid")
        st.env = env_backup


def main():
    t = Tap()
    t.bail_if_missing("upsd", "upsc", "dummy-ups")
    st = Stack("paths")
    try:
        ok = st.start_driver("eco", foreground=False) and st.start_upsd(foreground=False) \
            and st.wait_ready("eco")
        if not t.ok(ok, "driver and upsd started as daemons", st.diag()):
            return t.done()
        drv_pid, upsd_pid = check_running(t, st)
        if upsd_pid:
            check_stop(t, st, upsd_pid)
        if drv_pid:
            check_driver_stop(t, st, drv_pid)
        check_no_env(t, st)
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
