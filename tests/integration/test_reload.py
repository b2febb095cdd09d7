#!/usr/bin/env python3
"""upsd reload: SIGHUP and `upsd -c reload`.

upsd runs as a daemon (no -F) so that it writes NUT_ALTPIDPATH/upsd.pid,
which `upsd -c reload` needs. A client connected before the reloads keeps
its session; a UPS added to ups.conf appears in LIST UPS, a removed one
disappears; a changed description is served.
"""
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DEV_DESC, Conn, Stack, Tap, binary, wait_for  # noqa: E402


def ups_names(conn):
    return [line.split()[1] for line in conn.list("UPS") if line and line.startswith("UPS ")]


def check_sighup(t, st, c):
    pid = st.pid_of("upsd")
    os.kill(pid, signal.SIGHUP)
    t.ok(wait_for(lambda: c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"', 5, 0.3),
         "client connected before SIGHUP still served on the same session", st.diag())
    t.ok(st.pid_of("upsd") == pid, "same upsd process after SIGHUP")
    c2 = Conn(st.port)
    try:
        t.ok(c2.cmd("GET VAR eco battery.charge") == 'VAR eco battery.charge "100"',
             "new connections served after SIGHUP")
    finally:
        c2.close()


def check_add_ups(t, st, c):
    st.upses.append("eco2")
    st.write_ups_conf()
    t.ok(st.start_driver("eco2"), "second driver (eco2) started", st.diag())
    rc, out, err = st.run([binary("upsd"), "-c", "reload"])
    t.ok(rc == 0, "upsd -c reload exits 0", "rc=%d out=%r err=%r" % (rc, out, err))
    # NUT 2.8.0 lists a UPS added by a reload first: only membership is checked
    t.ok(wait_for(lambda: sorted(ups_names(c)) == ["eco", "eco2"], 8, 0.3),
         "eco2 appears in LIST UPS after reload", "got %r" % c.list("UPS"))
    t.ok(st.wait_ready("eco2", 10), "eco2 data served after reload", st.get("eco2", "ups.status"))
    t.ok(c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
         "client connected before `-c reload` still served on the same session")


def check_change_and_remove(t, st, c):
    st.write("ups.conf", '[eco]\n\tdriver = dummy-ups\n\tport = %s\n\tdesc = "renamed"\n'
             % "ellipse-eco-1200.dev")
    os.kill(st.pid_of("upsd"), signal.SIGHUP)
    t.ok(wait_for(lambda: ups_names(c) == ["eco"], 8, 0.3),
         "eco2 removed from ups.conf: gone from LIST UPS after SIGHUP", "got %r" % c.list("UPS"))
    t.ok(c.cmd("GET UPSDESC eco") == 'UPSDESC eco "renamed"', "changed desc served after reload")
    t.ok(c.cmd("GET VAR eco2 ups.status") == "ERR UNKNOWN-UPS", "removed UPS -> ERR UNKNOWN-UPS")
    t.ok(c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
         "kept UPS still served (driver link kept or re-made)")


def check_bad_reload(t, st, c):
    """A reload that finds a broken upsd.users keeps the old settings running."""
    users = os.path.join(st.conf, "upsd.users")
    os.rename(users, users + ".away")
    os.kill(st.pid_of("upsd"), signal.SIGHUP)
    ok = wait_for(lambda: c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"', 3, 0.5)
    alive = st.pid_of("upsd") is not None
    os.rename(users + ".away", users)
    t.ok(ok and alive, "reload with upsd.users missing: upsd keeps running and serving",
         st.diag())


def main():
    t = Tap()
    t.bail_if_missing("upsd", "upsc", "dummy-ups")
    st = Stack("reload")
    c = None
    try:
        ok = st.start_driver("eco") and st.start_upsd(foreground=False) and st.wait_ready("eco")
        if not t.ok(ok and st.pid_of("upsd"), "driver + upsd (daemon, pid file) serve eco",
                    "pid file %s\n%s" % (st.daemons.get("upsd"), st.diag())):
            return t.done()
        c = Conn(st.port)
        t.ok(c.list("UPS") == ['UPS eco "%s"' % DEV_DESC], "LIST UPS before reload")
        check_sighup(t, st, c)
        check_add_ups(t, st, c)
        check_change_and_remove(t, st, c)
        check_bad_reload(t, st, c)
    finally:
        if c:
            c.close()
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
