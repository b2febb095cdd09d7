#!/usr/bin/env python3
"""upsd's client bookkeeping: who gets flushed, closed and freed, and when.

upsd's safe point visits only the clients with work (output queued, closing,
dead); idle ones are left alone, and the idle timeout is a sweep once a
second. This guards what that must keep doing:

* clients that go away (first, last, middle of the list) are freed: their
  server descriptors close, LIST CLIENT no longer shows them, the others
  still answer;
* 200 pipelined requests in one write get 200 replies;
* a reader too slow for the replies (small receive buffer) still gets every
  line once it reads (output held while the socket is full);
* LOGOUT: "OK Goodbye" arrives, then the server closes;
* more output than the buffer holds: that client is dropped, the others
  are served;
* (slow, NUTC_SLOW_TESTS=1) silent clients among busy ones are dropped
  after 60 s, the busy one is kept.
Prints TAP.
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
STATUS = 'VAR eco ups.status "OL"'


def held(pid, port):
    """How many client connections of `port` upsd (pid) holds a descriptor for."""
    inodes = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/net/" + name) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            w = row.split()
            if int(w[1].rsplit(":", 1)[1], 16) == port and w[3] != "0A":   # not LISTEN
                inodes.add(w[9])
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return -1
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            n += 1
    return n


def login(port):
    c = Conn(port, timeout=10)
    if (c.cmd("USERNAME monuser"), c.cmd("PASSWORD secret"), c.cmd("LOGIN eco")) != ("OK",) * 3:
        c.close()
        return None
    return c


def recv_lines(sock, want, timeout):
    """Read until `want` lines arrived (or EOF / timeout): the lines."""
    sock.settimeout(1)
    data = b""
    end = time.monotonic() + timeout
    while data.count(b"\n") < want and time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").split("\n")[:-1]


def eof_within(sock, timeout):
    """True when the server closes sock (after any pending bytes) in time."""
    sock.settimeout(1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def check_free(t, st, pid):
    conns = [login(st.port) for _ in range(30)]
    t.ok(all(conns), "30 clients logged in to eco")
    conns = [c for c in conns if c]
    t.ok(wait_for(lambda: held(pid, st.port) == len(conns), 10),
         "upsd holds one descriptor per client", "%d" % held(pid, st.port))
    # the list is most recent first: drop its head, its tail and a middle run
    gone = [conns[-1], conns[0]] + conns[10:20]
    kept = [c for c in conns if c not in gone]
    for c in gone:
        c.close()
    t.ok(wait_for(lambda: held(pid, st.port) == len(kept), 10),
         "the %d that left are freed (their descriptors closed)" % len(gone),
         "%d, expected %d" % (held(pid, st.port), len(kept)))
    lst = kept[0].list("CLIENT eco")
    t.ok(len(lst) == len(kept) and all(x == "CLIENT eco 127.0.0.1" for x in lst),
         "LIST CLIENT eco shows the %d left" % len(kept), repr(lst))
    answers = [c.cmd("VER") for c in kept]
    t.ok(answers == [VER] * len(kept), "every remaining client still answers", repr(answers))
    for c in kept:
        c.close()
    t.ok(wait_for(lambda: held(pid, st.port) == 0, 10), "all freed once every client left",
         "%d" % held(pid, st.port))


def check_pipelined(t, st):
    c = Conn(st.port, timeout=10)
    try:
        c.sock.sendall(b"GET VAR eco ups.status\n" * 200)
        lines = recv_lines(c.sock, 200, 20)
        t.ok(lines == [STATUS] * 200, "200 pipelined GET VAR: 200 replies",
             "%d lines, first %r" % (len(lines), lines[:1]))
    finally:
        c.close()


def kernel_queued(port, cport):
    """Reply bytes in the kernel between upsd (port) and the client (cport)."""
    n = 0
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/net/" + name) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            w = row.split()
            lp = int(w[1].rsplit(":", 1)[1], 16)
            rp = int(w[2].rsplit(":", 1)[1], 16)
            tx, rx = (int(x, 16) for x in w[4].split(":"))
            if lp == port and rp == cport:
                n += tx
            elif lp == cport and rp == port:
                n += rx
    return n


def check_slow_reader(t, st):
    """Ask for LIST VAR in batches without reading until the socket is full
    and upsd holds the rest (waiting to write), then read: nothing lost."""
    ref = Conn(st.port, timeout=10)
    lines = ref.list("VAR eco")
    ref.close()
    per = len(lines) + 2
    size = sum(len(x) + 1 for x in lines) + len("BEGIN LIST VAR eco\nEND LIST VAR eco\n")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", st.port))
        cport = s.getsockname()[1]
        asked = 0
        while asked < 6000:          # 12 MB: more than any socket buffers
            s.sendall(b"LIST VAR eco\n" * 10)
            asked += 10
            if not wait_for(lambda: kernel_queued(st.port, cport) >= asked * size, 1, 0.05):
                break
        inside = asked * size - kernel_queued(st.port, cport)
        t.ok(0 < inside < 256 * 1024,
             "upsd holds %d bytes of replies while the socket is full" % inside)
        got = recv_lines(s, per * asked, 60)
        ends = sum(1 for x in got if x == "END LIST VAR eco")
        t.ok(len(got) == per * asked and ends == asked,
             "slow reader: all %d LIST VAR replies arrive whole once it reads" % asked,
             "%d lines, %d END" % (len(got), ends))
    finally:
        s.close()


def check_logout(t, st, pid):
    c = Conn(st.port, timeout=10)
    try:
        t.ok(wait_for(lambda: held(pid, st.port) == 1, 10), "upsd holds the new connection")
        rep = c.cmd("LOGOUT")
        t.ok(rep == "OK Goodbye", "LOGOUT: OK Goodbye", repr(rep))
        t.ok(eof_within(c.sock, 10), "LOGOUT: the server closes the connection")
        t.ok(wait_for(lambda: held(pid, st.port) == 0, 10), "LOGOUT: the client is freed")
    finally:
        c.close()


def check_overflow(t, st, pid):
    other = Conn(st.port, timeout=10)
    hog = socket.socket()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.settimeout(10)
    try:
        hog.connect(("127.0.0.1", st.port))
        # about 20 MB of replies, never read: far over the 256 KiB buffer plus the socket's
        req = b"LIST VAR eco\n" * 500
        sent = 0
        hog.settimeout(2)
        try:
            for _ in range(20):
                hog.sendall(req)
                sent += 1
        except OSError:
            pass
        t.ok(wait_for(lambda: held(pid, st.port) == 1, 20),
             "a client that never reads its replies is dropped (%d x 500 LIST sent)" % sent,
             "%d, expected %d" % (held(pid, st.port), 1))
        t.ok(other.cmd("GET VAR eco ups.status") == STATUS, "the other client is still served")
        t.ok("Output buffer full for client" in st.logtail("upsd", 200),
             "upsd logs why it dropped the client", st.logtail("upsd"))
    finally:
        hog.close()
        other.close()


def check_idle(t, st, pid):
    if os.environ.get("NUTC_SLOW_TESTS") != "1":
        t.skip("silent clients dropped after 60 s, busy one kept",
               "set NUTC_SLOW_TESTS=1 (takes ~65 s)")
        return
    idle = [socket.create_connection(("127.0.0.1", st.port), timeout=10) for _ in range(20)]
    busy = Conn(st.port, timeout=10)
    try:
        t0 = time.monotonic()
        wait_for(lambda: held(pid, st.port) == 21, 10)
        answers = []
        while time.monotonic() - t0 < 75 and held(pid, st.port) > 1:
            answers.append(busy.cmd("VER"))
            time.sleep(5)
        took = time.monotonic() - t0
        closed = sum(1 for s in idle if eof_within(s, 1))
        t.ok(closed == 20 and 58 <= took <= 75,
             "20 silent clients dropped after %.0f s" % took, "%d closed" % closed)
        t.ok(busy.cmd("VER") == VER and all(a == VER for a in answers),
             "the client sending a line every 5 s is kept")
    finally:
        for s in idle:
            s.close()
        busy.close()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    st = Stack("srvcli")
    try:
        if not t.ok(st.start_all(), "dummy-ups + upsd serve eco", st.diag()):
            return t.done()
        pid = st.pid_of("upsd")
        check_free(t, st, pid)
        check_pipelined(t, st)
        check_slow_reader(t, st)
        check_logout(t, st, pid)
        check_overflow(t, st, pid)
        check_idle(t, st, pid)
        t.ok(st.pid_of("upsd") == pid, "upsd still running", st.diag())
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
