#!/usr/bin/env python3
"""upsd reload (SIGHUP) with broken configuration files.

A reload that finds an error in upsd.users, upsd.conf or ups.conf must keep
the configuration upsd runs with (users, settings and UPS list), and log each
problem as file:line. A file with only an obsolete directive (ACCEPT, which
NUT accepts with a warning) still reloads. Prints TAP.
"""
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DEV_DESC, DEV_FILE, Conn, Stack, Tap, wait_for  # noqa: E402

USERS = ("[admin]\n\tpassword = adminpass\n\tactions = SET FSD\n\tinstcmds = ALL\n"
         "\tupsmon primary\n[monuser]\n\tpassword = secret\n\tupsmon secondary\n")


def login(st, user, pw):
    c = Conn(st.port)
    try:
        return [c.cmd("USERNAME " + user), c.cmd("PASSWORD " + pw), c.cmd("LOGIN eco")]
    finally:
        c.close()


def log_count(st, text):
    try:
        with open(st.log("upsd"), errors="replace") as f:
            return sum(1 for line in f if text in line)
    except OSError:
        return 0


def reload(st):
    """SIGHUP, then wait for the reload's verdict; True when it was aborted."""
    aborted, done = log_count(st, "Reload aborted"), log_count(st, "Reloading configuration")
    os.kill(st.pid_of("upsd"), signal.SIGHUP)
    wait_for(lambda: log_count(st, "Reloading configuration") > done, 10, 0.2)
    # the verdict line follows in the same loop turn; give the log a moment
    return wait_for(lambda: log_count(st, "Reload aborted") > aborted, 2, 0.2)


def check_bad_users(t, st):
    # the unterminated quote swallows the rest of the file: monuser would vanish
    st.write("upsd.users", USERS.replace("password = adminpass", 'password = "adminpass'))
    t.ok(reload(st), "broken upsd.users: reload aborted", st.logtail("upsd"))
    t.ok(login(st, "monuser", "secret") == ["OK", "OK", "OK"],
         "broken upsd.users: monuser still logs in with the running users", st.logtail("upsd"))
    t.ok(wait_for(lambda: "/upsd.users:" in st.logtail("upsd", 10), 3, 0.2),
         "broken upsd.users: the problem is logged as file:line", st.logtail("upsd"))
    st.write("upsd.users", USERS)


def check_bad_upsd_conf(t, st):
    good = open(os.path.join(st.conf, "upsd.conf")).read()
    st.write("upsd.conf", good + "MAXAGE abc\n")
    t.ok(reload(st), "upsd.conf with MAXAGE abc: reload aborted", st.logtail("upsd"))
    t.ok(wait_for(lambda: "upsd.conf:2: MAXAGE: invalid value 'abc'" in st.logtail("upsd", 10), 3, 0.2),
         "the bad value is logged as upsd.conf:2", st.logtail("upsd"))
    st.write("upsd.conf", good)


def check_bad_ups_conf(t, st):
    st.write("ups.conf", '[eco]\n\tdriver = dummy-ups\n\tport = %s\n\tdesc = "%s\n' % (DEV_FILE, DEV_DESC))
    t.ok(reload(st), "ups.conf with an unterminated quote: reload aborted", st.logtail("upsd"))
    c = Conn(st.port)
    try:
        t.ok(c.list("UPS") == ['UPS eco "%s"' % DEV_DESC], "LIST UPS keeps the running description",
             repr(c.list("UPS")))
        t.ok(c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"', "eco still served")
    finally:
        c.close()
    st.write_ups_conf()


def check_good_reload(t, st):
    good = open(os.path.join(st.conf, "upsd.conf")).read()
    st.write("upsd.conf", good + "ACCEPT localhost\n")
    st.write("upsd.users", USERS + "[newuser]\n\tpassword = newpass\n\tupsmon secondary\n")
    t.ok(not reload(st), "valid files with an obsolete ACCEPT line: reload applied", st.logtail("upsd"))
    t.ok(wait_for(lambda: login(st, "newuser", "newpass") == ["OK", "OK", "OK"], 5, 0.3),
         "a user added by the reload logs in", st.logtail("upsd"))
    t.ok("ACCEPT is no longer supported" in st.logtail("upsd", 20), "the obsolete ACCEPT is logged",
         st.logtail("upsd"))


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    st = Stack("srvreload")
    try:
        if not t.ok(st.start_all(), "driver + upsd serve eco", st.diag()):
            return t.done()
        check_bad_users(t, st)
        check_bad_upsd_conf(t, st)
        check_bad_ups_conf(t, st)
        check_good_reload(t, st)
        t.ok(st.pid_of("upsd") is not None, "upsd still running", st.diag())
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
