#!/usr/bin/env python3
"""upsd daemon core: sessions, limits, daemon life cycle (owner: upsd-core).

* LOGOUT -> "OK Goodbye" and the server closes the connection
* 3 pipelined requests in one write -> 3 replies in order
* a 10 KiB word -> ERR UNKNOWN-COMMAND, the session stays usable (NUT 2.8.0)
* `#` inside quotes is a parse error: no reply, the rest of that read dropped,
  the next line is answered
* an empty line -> ERR UNKNOWN-COMMAND
* MAXCONN 3: a 4th simultaneous client is closed unanswered, the first 3 served
* a second upsd on the same tree refuses to start (exit 1), the first keeps running
* SIGTERM: upsd exits and removes NUT_ALTPIDPATH/upsd.pid
* idle client dropped after 60 s without a complete line (slow: only with
  NUTC_SLOW_TESTS=1, else SKIP)
"""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, binary, pid_alive, read_pidfile, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"


def raw(port, data, wait=1.0):
    """Send bytes, collect everything until wait s of silence; (bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return out, False
            if not chunk:
                return out, True
            out += chunk
    finally:
        s.close()


def check_session(t, st):
    out, closed = raw(st.port, b"LOGOUT\n", 3)
    t.ok(out == b"OK Goodbye\n" and closed, "LOGOUT -> OK Goodbye, then server closes",
         repr((out, closed)))
    out, _ = raw(st.port, b"VER\nNETVER\nGET VAR eco battery.charge\n")
    t.ok(out.decode().splitlines() == [VER, "1.3", 'VAR eco battery.charge "100"'],
         "3 pipelined requests -> 3 replies in order", repr(out))
    out, closed = raw(st.port, b"A" * 10240 + b"\nVER\n")
    t.ok(out.decode().splitlines() == ["ERR UNKNOWN-COMMAND", VER] and not closed,
         "10 KiB word -> ERR UNKNOWN-COMMAND, session still usable", repr(out[:200]))
    c = Conn(st.port, timeout=1.5)
    try:
        c.sock.sendall(b'GET VAR "eco # x"\nVER\n')
        first = c.readline()
        t.ok(first is None, "# inside quotes: no reply (rest of that read dropped)", repr(first))
        t.ok(c.cmd("VER") == VER, "next line after the parse error is answered")
        t.ok(c.cmd("") == "ERR UNKNOWN-COMMAND", "empty line -> ERR UNKNOWN-COMMAND")
    finally:
        c.close()


def check_maxconn(t, st):
    time.sleep(0.5)      # let upsd reap the connections closed just before (they count)
    conns = [Conn(st.port, timeout=2) for _ in range(3)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", st.port), timeout=2)
    try:
        time.sleep(0.3)
        try:
            extra.sendall(b"VER\n")
            got = extra.recv(100)
        except OSError:
            got = b""
        t.ok(got == b"", "MAXCONN 3: 4th client closed without a reply", repr(got))
        t.ok(all(c.cmd("VER") == VER for c in conns), "MAXCONN 3: the first 3 clients served")
    finally:
        extra.close()
        for c in conns:
            c.close()


def check_double_start(t, st):
    pid = st.pid_of("upsd")
    rc, out, err = st.run([binary("upsd"), "-u", "root" if os.geteuid() == 0 else str(os.geteuid())],
                          timeout=10)
    t.ok(rc == 1 and "already running" in out + err, "second upsd refuses to start (exit 1)",
         "rc=%d out=%r err=%r" % (rc, out, err))
    t.ok(pid and pid_alive(pid) and read_pidfile(os.path.join(st.pid, "upsd.pid")) == pid,
         "first upsd still running, pid file untouched")


def check_sigterm(t, st):
    pidfile = os.path.join(st.pid, "upsd.pid")
    pid = read_pidfile(pidfile)
    os.kill(pid, signal.SIGTERM)
    gone = wait_for(lambda: not pid_alive(pid), 5)
    t.ok(gone, "SIGTERM: upsd exits")
    t.ok(not os.path.exists(pidfile), "SIGTERM: upsd.pid removed", repr(os.listdir(st.pid)))
    st.daemons.pop("upsd", None)


def check_idle(t, st):
    if os.environ.get("NUTC_SLOW_TESTS") != "1":
        t.skip("idle client dropped after 60 s", "set NUTC_SLOW_TESTS=1 (takes ~65 s)")
        return
    time.sleep(0.5)      # MAXCONN 3: let upsd reap the previous test's connections
    s = socket.create_connection(("127.0.0.1", st.port), timeout=75)
    try:
        t0 = time.monotonic()
        s.sendall(b"VER\n")
        s.recv(200)
        s.sendall(b"VE")          # partial line: not activity
        try:
            data = s.recv(100)
        except OSError:
            data = b"?"
        took = time.monotonic() - t0
        t.ok(data == b"" and 58 <= took <= 70, "idle client dropped after %.1f s" % took, repr(data))
    finally:
        s.close()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    st = Stack("core", upsd_extra="MAXCONN 3\n")
    try:
        ok = st.start_driver("eco") and st.start_upsd(foreground=False) and st.wait_ready("eco")
        if not t.ok(ok, "driver + upsd (daemon) serve eco", st.diag()):
            return t.done()
        check_session(t, st)
        check_maxconn(t, st)
        check_idle(t, st)
        check_double_start(t, st)
        check_sigterm(t, st)
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
