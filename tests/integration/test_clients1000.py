#!/usr/bin/env python3
"""1,000 clients connected to upsd at the same time each get a correct reply.

All connections are opened first and held open; then every one sends
GET VAR and must read exactly its own `VAR eco ... "..."` line. RLIMIT_NOFILE
is raised for this process (and so for the upsd it starts).
"""
import os
import resource
import selectors
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap  # noqa: E402

N = 1000
VARS = [("battery.charge", "100"), ("ups.load", "8"), ("ups.status", "OL"),
        ("ups.model", "Ellipse ECO 1200"), ("input.transfer.high", "264")]


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect_all(port, deadline):
    """Open N non-blocking connections; returns (connected sockets, errors)."""
    sel = selectors.DefaultSelector()
    pending, done, errors = {}, [], []
    for i in range(N):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, 115):   # EINPROGRESS
            errors.append(os.strerror(rc))
            s.close()
            continue
        pending[s] = i
        sel.register(s, selectors.EVENT_WRITE)
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            sel.unregister(s)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            i = pending.pop(s)
            if err:
                errors.append(os.strerror(err))
                s.close()
            else:
                done.append((i, s))
    for s in pending:
        errors.append("connect timeout")
        s.close()
    sel.close()
    return done, errors


def exchange(conns, deadline):
    """Each socket sends its GET VAR; returns {index: reply line or None}."""
    sel = selectors.DefaultSelector()
    bufs, replies = {}, {}
    for i, s in conns:
        var = VARS[i % len(VARS)][0]
        s.setblocking(True)
        s.sendall(("GET VAR eco %s\n" % var).encode())
        s.setblocking(False)
        bufs[s] = (i, b"")
        sel.register(s, selectors.EVENT_READ)
    while bufs and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            i, buf = bufs[s]
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                buf += data
            if b"\n" in buf or not data:
                replies[i] = buf.split(b"\n")[0].decode(errors="replace") if buf else None
                sel.unregister(s)
                del bufs[s]
            else:
                bufs[s] = (i, buf)
    for s, (i, _) in bufs.items():
        replies[i] = None
    sel.close()
    return replies


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    limit = raise_nofile(N + 200)
    if not t.ok(limit >= N + 100, "RLIMIT_NOFILE raised to %d" % limit):
        return t.done()
    st = Stack("c1000")
    conns = []
    try:
        if not t.ok(st.start_all(), "dummy-ups + upsd start and serve eco", st.diag()):
            return t.done()
        t0 = time.monotonic()
        conns, errors = connect_all(st.port, t0 + 60)
        t.ok(len(conns) == N, "%d of %d connections established (%.1f s)"
             % (len(conns), N, time.monotonic() - t0), "errors: %r" % sorted(set(errors)))
        t1 = time.monotonic()
        replies = exchange(conns, t1 + 60)
        bad = []
        for i, _ in conns:
            var, val = VARS[i % len(VARS)]
            if replies.get(i) != 'VAR eco %s "%s"' % (var, val):
                bad.append("#%d %s -> %r" % (i, var, replies.get(i)))
        t.ok(len(conns) == N and not bad, "every connection got its own correct GET VAR reply "
             "(%.1f s)" % (time.monotonic() - t1), "%d bad:\n%s" % (len(bad), "\n".join(bad[:20])))
        c = Conn(st.port)
        try:
            t.ok(c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
                 "a 1001st client is served while the 1,000 are still open")
        finally:
            c.close()
        for _, s in conns:
            s.close()
        conns = []
        time.sleep(0.5)
        c = Conn(st.port)
        try:
            t.ok(c.cmd("GET VAR eco battery.charge") == 'VAR eco battery.charge "100"',
                 "served normally after 1,000 clients closed at once")
        finally:
            c.close()
        t.ok(st.pid_of("upsd"), "upsd still running", st.diag())
    finally:
        for _, s in conns:
            s.close()
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
