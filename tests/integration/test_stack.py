#!/usr/bin/env python3
"""Whole stack: dummy-ups serving the Ellipse ECO 1200 dump, upsd, upsc.

Checks that what upsc prints is the dump (every non-driver.* variable with
its value, in upsd's sorted order), the listing options, a single variable,
and the error messages and exit codes of NUT 2.8.0's upsc.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DEV_DESC, Conn, Stack, Tap, read_dev  # noqa: E402


def check_dump(t, st):
    rc, out, err = st.upsc(st.target())
    t.ok(rc == 0, "upsc eco@host:port exits 0", "rc=%d\n%s" % (rc, err))
    got = {}
    names = []
    for line in out.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            got[k] = v
            names.append(k)
    want = [(k, v) for k, v in read_dev() if not k.startswith("driver.")]
    bad = ["%s: want %r got %r" % (k, v, got.get(k)) for k, v in want if got.get(k) != v]
    t.ok(len(want) == 40 and not bad, "every dump variable served with its value (%d)" % len(want),
         "\n".join(bad) + "\n--- upsc output\n" + out)
    t.ok(got.get("driver.name") == "dummy-ups", "driver.name is dummy-ups",
         "got %r" % got.get("driver.name"))
    t.ok(names == sorted(names, key=str.lower) and len(names) == len(set(names)),
         "variables listed once each, sorted case-insensitively", out)
    t.ok(err.strip() == "" or "Init SSL" in err, "no error output", err)


def check_listings(t, st):
    rc, out, err = st.upsc("-l", "127.0.0.1:%d" % st.port)
    t.ok(rc == 0 and out == "eco\n", "upsc -l lists the UPS name", "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc("-L", "127.0.0.1:%d" % st.port)
    t.ok(rc == 0 and out == "eco: %s\n" % DEV_DESC, "upsc -L lists name: description",
         "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target(), "battery.charge")
    t.ok(rc == 0 and out == "100\n", "upsc eco battery.charge prints 100",
         "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target(), "ups.model")
    t.ok(rc == 0 and out == "Ellipse ECO 1200\n", "value with spaces printed whole",
         "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target("ECO"), "UPS.STATUS")
    t.ok(rc == 0 and out == "OL\n", "UPS and variable names are case-insensitive",
         "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target(host="localhost"), "ups.status")
    t.ok(rc == 0 and out == "OL\n", "host name localhost resolves (IPv4 listener only)",
         "rc=%d out=%r err=%r" % (rc, out, err))


def check_errors(t, st):
    rc, out, err = st.upsc(st.target("nosuchups"))
    t.ok(rc == 1 and "Error: Unknown UPS" in err and out == "",
         "unknown UPS: 'Error: Unknown UPS', exit 1", "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target(), "no.such.var")
    t.ok(rc == 1 and "Error: Variable not supported by UPS" in err,
         "unknown variable: 'Error: Variable not supported by UPS', exit 1",
         "rc=%d out=%r err=%r" % (rc, out, err))
    rc, out, err = st.upsc(st.target())
    t.ok(rc == 0, "server still serves after the errors", err)
    rc, out, err = st.upsc("eco@127.0.0.1:1")
    t.ok(rc == 1 and err.startswith("Error:") and "onnect" in err,
         "closed port: connection error, exit 1", "rc=%d out=%r err=%r" % (rc, out, err))


def check_protocol(t, st):
    c = Conn(st.port)
    try:
        t.ok(c.cmd("VER") == "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/",
             "VER banner")
        t.ok(c.cmd("NETVER") == "1.3", "NETVER 1.3")
        t.ok(c.cmd("GET VAR eco battery.charge") == 'VAR eco battery.charge "100"', "GET VAR reply")
        t.ok(c.list("UPS") == ['UPS eco "%s"' % DEV_DESC], "LIST UPS item")
        t.ok(c.cmd("GET UPSDESC eco") == 'UPSDESC eco "%s"' % DEV_DESC, "GET UPSDESC")
        t.ok(c.cmd("GET VAR nosuchups ups.status") == "ERR UNKNOWN-UPS", "ERR UNKNOWN-UPS")
        t.ok(c.cmd("FROB") == "ERR UNKNOWN-COMMAND", "ERR UNKNOWN-COMMAND")
        t.ok(c.cmd("LOGOUT") == "OK Goodbye" and c.readline() is None,
             "LOGOUT: OK Goodbye, then the server closes")
    finally:
        c.close()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "upsc", "dummy-ups")
    st = Stack("stack")
    try:
        if not t.ok(st.start_all(), "dummy-ups + upsd start and serve eco", st.diag()):
            return t.done()
        check_dump(t, st)
        check_listings(t, st)
        check_errors(t, st)
        check_protocol(t, st)
        t.ok(st.pid_of("upsd") and st.pid_of("dummy-ups-eco"), "both daemons still running",
             st.diag())
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
