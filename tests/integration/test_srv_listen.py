#!/usr/bin/env python3
"""upsd listeners: LISTEN * (both wildcards, as NUT 2.8.1+), IPv6, -4, a busy port.

Each case starts upsd in the foreground with one upsd.conf and checks which
loopback addresses answer VER. Prints TAP.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, Tap, binary, run_user, wait_for  # noqa: E402

VER = b"Network UPS Tools upsd"


def answers(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.sendall(b"VER\n")
        return s.recv(100).startswith(VER)
    except OSError:
        return False
    finally:
        s.close()


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def start(st, conf, *flags):
    st.write("upsd.conf", conf % {"p": st.port})
    st.spawn("upsd", [binary("upsd"), "-u", run_user(), "-F"] + list(flags))
    return wait_for(lambda: answers("127.0.0.1", st.port) or answers("::1", st.port), 10, 0.2)


def case(t, name, conf, want4, want6, *flags):
    st = Stack("srvlisten")
    try:
        st.start_driver()
        start(st, conf, *flags)
        got = (answers("127.0.0.1", st.port), answers("::1", st.port))
        t.ok(got == (want4, want6), "%s: IPv4 %s, IPv6 %s" % (name, want4, want6),
             "got %r\n%s" % (got, st.logtail("upsd")))
    finally:
        st.cleanup()


def busy_port(t):
    st = Stack("srvlisten")
    hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        hold.bind(("127.0.0.1", st.port))
        hold.listen(1)
        st.write("upsd.conf", "LISTEN 127.0.0.1 %d\n" % st.port)
        rc, out, err = st.run([binary("upsd"), "-u", run_user(), "-F"], timeout=20)
        text = out + err
        t.ok(rc not in (0, -999) and "Address already in use" in text
             and "127.0.0.1 port %d" % st.port in text and "Fatal error" in text,
             "LISTEN on a busy port: upsd exits with the address and the reason", text)
    finally:
        hold.close()
        st.cleanup()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    if not have_ipv6():
        for name in ("LISTEN *", "LISTEN ::1", "LISTEN * with -4", "LISTEN * with -6"):
            t.skip(name, "no IPv6 loopback on this machine")
    else:
        case(t, "LISTEN *", "LISTEN * %(p)d\n", True, True)
        case(t, "LISTEN ::1", "LISTEN ::1 %(p)d\n", False, True)
        case(t, "LISTEN * with -4", "LISTEN * %(p)d\n", True, False, "-4")
        case(t, "LISTEN * with -6", "LISTEN * %(p)d\n", False, True, "-6")
    busy_port(t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
