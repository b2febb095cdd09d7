#!/usr/bin/env python3
"""A hung driver must not freeze upsd.

ups.conf has two UPSes: eco (a real dummy-ups) and hung, whose socket is a
listener this test owns that never accepts and whose queue is already full
(as a driver stuck in I/O with other socket clients waiting). upsd's connect
to it must not block the event loop: eco stays served, hung reads as not
connected, and once the stuck socket goes away and a real driver comes up for
hung, upsd connects to it. Prints TAP.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"


def ask(port, line):
    try:
        c = Conn(port, timeout=3)
    except OSError:
        return None
    try:
        return c.cmd(line)
    finally:
        c.close()


def stuck_socket(path):
    """A listener with a full queue: (listener, the queued client)."""
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(0)
    queued = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    queued.setblocking(False)
    queued.connect(path)
    return lsock, queued


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    st = Stack("srvdrv", upses=("eco", "hung"))
    held = ()
    try:
        t.ok(st.start_driver("eco"), "dummy-ups for eco started", st.diag())
        held = stuck_socket(st.sockpath("hung"))
        t.ok(st.start_upsd(), "upsd started", st.diag())
        t.ok(wait_for(lambda: ask(st.port, "VER") == VER, 10, 0.3),
             "upsd answers while the hung driver's socket accepts nothing", st.diag())
        t.ok(wait_for(lambda: ask(st.port, "GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
                      10, 0.3), "eco still served", st.diag())
        rep = ask(st.port, "GET VAR hung ups.status")
        t.ok(rep == "ERR DRIVER-NOT-CONNECTED", "hung: ERR DRIVER-NOT-CONNECTED", repr(rep))
        for s in held:
            s.close()
        held = ()
        os.unlink(st.sockpath("hung"))
        t.ok(st.start_driver("hung"), "a real driver for hung started", st.diag())
        t.ok(st.wait_ready("hung", 20), "upsd connects to it and serves hung", st.diag())
    finally:
        for s in held:
            s.close()
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
