#!/usr/bin/env python3
"""`upsd -n`: check the configuration and exit.

* clean ups.conf / upsd.conf / upsd.users -> exit 0, one line, nothing bound
* bad lines in each file -> every one reported as `file:line: message`, exit 1
  (each file alone, then all three at once)
* a missing upsd.users -> exit non-zero, message names the file
* the users' setup guide upsd.users (stray `admin master` line) -> -n names
  that line, and upsd itself still starts and grants the rights the
  section's other lines give.
"""
import os
import re
import shutil
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DATA, Conn, Stack, Tap, binary  # noqa: E402

BAD_UPS = ("[eco]\n\tdriver = dummy-ups\n\tport = ellipse-eco-1200.dev\n\tdesc = \"first\"\n"
           "[ECO]\n\tdriver = dummy-ups\n\tport = other.dev\n")
BAD_UPS_LINES = [5]                    # duplicate UPS name (case-insensitive)

BAD_USERS = ("[admin]\n\tpassword = adminpass\n\tupsmon boss\n\tfrobnicate = 1\n"
             "\tactions = SET\n")
BAD_USERS_LINES = [3, 4]               # unknown upsmon type, unknown setting


def bad_upsd_conf(port):
    text = "LISTEN 127.0.0.1 %d\nMAXAGE abc\nFROBNICATE 1\nMAXCONN\n" % port
    return text, [2, 3, 4]             # not a number, unknown directive, missing value


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def check(st):
    rc, out, err = st.run([binary("upsd"), "-n"], timeout=10)
    return rc, out + err


def reported(text, fname, line):
    return re.search(r"(^|[\s/])%s:%d: \S" % (re.escape(fname), line), text, re.M) is not None


def check_clean(t, st):
    rc, text = check(st)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    t.ok(rc == 0, "clean config: upsd -n exits 0", "rc=%d\n%s" % (rc, text))
    t.ok(len(lines) == 1, "clean config: exactly one line of output", text)
    t.ok(port_free(st.port), "upsd -n does not keep the port bound")
    t.ok(st.pid_of("upsd") is None and not os.listdir(st.pid), "upsd -n leaves no process or pid file")


def check_bad(t, st, files):
    """files: {name: (text, [bad lines])}; writes them, expects every line reported."""
    saved = {}
    for name, (text, _) in files.items():
        with open(os.path.join(st.conf, name)) as f:
            saved[name] = f.read()
        st.write(name, text)
    rc, text = check(st)
    for name, (_, lines) in files.items():
        for ln in lines:
            t.ok(reported(text, name, ln), "bad %s line %d reported as %s:%d: ..."
                 % (name, ln, name, ln), text)
    t.ok(rc == 1, "bad %s: upsd -n exits 1" % "+".join(files), "rc=%d\n%s" % (rc, text))
    for name, text in saved.items():
        st.write(name, text)


def check_missing_users(t, st):
    path = os.path.join(st.conf, "upsd.users")
    os.rename(path, path + ".away")
    rc, text = check(st)
    os.rename(path + ".away", path)
    t.ok(rc != 0 and "upsd.users" in text, "missing upsd.users: non-zero exit naming the file",
         "rc=%d\n%s" % (rc, text))


def guide_line(path, needle):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip() == needle:
                return n
    return None


def check_guide(t, st):
    """The setup guide's ups.conf and upsd.users with our loopback upsd.conf."""
    for name in ("ups.conf", "upsd.users"):
        shutil.copy(os.path.join(DATA, "setup-guide", name), os.path.join(st.conf, name))
    stray = guide_line(os.path.join(st.conf, "upsd.users"), "admin master")
    rc, text = check(st)
    t.diag("upsd -n on the guide's files: rc=%d\n%s" % (rc, text))
    t.ok(stray and reported(text, "upsd.users", stray),
         "upsd -n names the guide's stray `admin master` line (upsd.users:%s)" % stray, text)
    t.ok(not re.search(r"ups\.conf:\d+:", text), "guide ups.conf (globals, usbhid-ups) has no error",
         text)
    if not t.ok(st.start_upsd(), "upsd starts with the guide's upsd.users", st.diag()):
        return
    c = Conn(st.port)
    try:
        t.ok(c.list("UPS") == ['UPS elipseeco0 "EATON Ellipse ECO 800"'], "guide UPS listed",
             repr(c.list("UPS")))
        t.ok(c.cmd("USERNAME admin") == "OK" and c.cmd("PASSWORD STRONG_PASSWORD") == "OK",
             "USERNAME/PASSWORD accepted")
        t.ok(c.cmd("MASTER elipseeco0") == "OK MASTER-GRANTED",
             "admin still gets `upsmon master` (line after the stray one applied)")
    finally:
        c.close()
    c = Conn(st.port)
    try:
        c.cmd("USERNAME monuser")
        c.cmd("PASSWORD secret")
        t.ok(c.cmd("LOGIN elipseeco0") == "OK", "Synology monuser/secret can LOGIN")
        t.ok(c.cmd("MASTER elipseeco0") == "ERR ACCESS-DENIED", "monuser (slave) denied MASTER")
    finally:
        c.close()


def main():
    t = Tap()
    t.bail_if_missing("upsd")
    st = Stack("check")
    try:
        check_clean(t, st)
        check_bad(t, st, {"ups.conf": (BAD_UPS, BAD_UPS_LINES)})
        check_bad(t, st, {"upsd.conf": bad_upsd_conf(st.port)})
        check_bad(t, st, {"upsd.users": (BAD_USERS, BAD_USERS_LINES)})
        check_bad(t, st, {"ups.conf": (BAD_UPS, BAD_UPS_LINES),
                          "upsd.conf": bad_upsd_conf(st.port),
                          "upsd.users": (BAD_USERS, BAD_USERS_LINES)})
        check_missing_users(t, st)
        check_guide(t, st)
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
