#!/usr/bin/env python3
"""upsd TLS sessions under misbehaving clients (NSS, STARTTLS).

* a client that never reads its replies inside TLS is dropped once its
  bounded output buffer is full; upsd's memory stays small and others are served;
* TLS 1.2 renegotiation asked by the client (openssl s_client "R") is refused;
* LOGOUT inside TLS: "OK Goodbye", then a close_notify (clean TLS close);
* a handshake that stalls after STARTTLS, and a plaintext partial line trickled
  byte by byte, are dropped by the idle timeout (60 s; with NUTC_SLOW_TESTS=1).
Prints TAP.
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402
import tlsdb  # noqa: E402

DBPASS = "guide-db-pass"
VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def check_never_reads(t, st):
    pid = st.pid_of("upsd")
    c = tlsdb.TlsConn(st.port)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    rep, err = c.starttls()
    if not t.ok(err is None, "TLS session up", "%s %s" % (rep, err)):
        return
    c.tls.settimeout(5)
    sent, dropped = 0, False
    try:
        for _ in range(200000):
            c.tls.sendall(b"LIST VAR eco\n")
            sent += 1
    except (OSError, ssl.SSLError):
        dropped = True
    c.close()
    t.ok(dropped, "client that never reads inside TLS is dropped (after %d requests)" % sent)
    rss = rss_kb(pid)
    t.ok(0 < rss < 64 * 1024, "upsd memory stays bounded (%d kB)" % rss)
    t.ok(wait_for(lambda: "Output buffer full for client" in st.logtail("upsd", 30), 5, 0.2),
         "the drop is logged", st.logtail("upsd"))
    c2 = Conn(st.port)
    try:
        t.ok(c2.cmd("VER") == VER, "other clients still served")
    finally:
        c2.close()


def starttls_relay(port):
    """A local port that sends STARTTLS to upsd, then relays raw bytes both ways."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)

    def pipe(src, dst):
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def serve():
        a, _ = lsock.accept()
        b = socket.create_connection(("127.0.0.1", port), timeout=30)
        b.sendall(b"STARTTLS\n")
        line = b""
        while not line.endswith(b"\n"):
            ch = b.recv(1)
            if not ch:
                break
            line += ch
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
        pipe(b, a)
        a.close()
        b.close()
        lsock.close()

    threading.Thread(target=serve, daemon=True).start()
    return lsock.getsockname()[1]


def check_renegotiation(t, st):
    if shutil.which("openssl") is None:
        t.skip("client renegotiation refused", "no openssl")
        return
    rport = starttls_relay(st.port)
    p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % rport, "-tls1_2"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for data, pause in ((b"VER\n", 3), (b"R\n", 3), (b"NETVER\n", 2)):
            time.sleep(pause)
            p.stdin.write(data)
            p.stdin.flush()
        p.stdin.close()
    except OSError:
        pass
    try:
        out = p.communicate(timeout=20)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        out = p.communicate()[0].decode(errors="replace")
    served = VER in out
    refused = "RENEGOTIATING" in out and "\n1.3\n" not in out
    t.ok(served and refused, "TLS 1.2 client renegotiation is refused (session not renegotiated)",
         out[-600:])


def check_logout_close_notify(t, st):
    c = tlsdb.TlsConn(st.port)
    try:
        rep, err = c.starttls()
        t.ok(err is None and c.cmd("LOGOUT") == "OK Goodbye", "LOGOUT inside TLS: OK Goodbye")
        try:
            c.tls.settimeout(10)
            c.tls.unwrap()      # raises unless upsd sent close_notify
            clean = True
        except (OSError, ssl.SSLError, ValueError) as e:
            clean = repr(e)
        t.ok(clean is True, "then a clean TLS close (close_notify)", clean)
    finally:
        c.close()


def slowloris(port, result):
    """A partial line trickled a byte every 3 s: never a complete line, so idle."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0 = time.monotonic()
    try:
        for ch in b"GET VAR eco ups.status" * 4:
            s.sendall(bytes([ch]))
            s.settimeout(3)
            try:
                if s.recv(100) == b"":
                    break
            except socket.timeout:
                continue
    except OSError:
        pass
    finally:
        result.append(time.monotonic() - t0)
        s.close()


def check_stalled_handshake(t, st):
    if os.environ.get("NUTC_SLOW_TESTS") != "1":
        t.skip("stalled handshake and slowloris dropped after 60 s",
               "set NUTC_SLOW_TESTS=1 (takes ~65 s)")
        return
    trickled = []
    th = threading.Thread(target=slowloris, args=(st.port, trickled), daemon=True)
    th.start()
    s = socket.create_connection(("127.0.0.1", st.port), timeout=10)
    try:
        s.sendall(b"STARTTLS\n")
        first = s.recv(100)
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        s.settimeout(90)
        t0 = time.monotonic()
        try:
            rest = s.recv(100)
        except OSError:
            rest = b""
        took = time.monotonic() - t0
        t.ok(first == b"OK STARTTLS\n" and rest == b"" and 50 <= took <= 80,
             "stalled handshake dropped by the idle timeout after %.0f s" % took, repr(rest))
    finally:
        s.close()
    th.join(60)
    took = trickled[0] if trickled else -1
    t.ok(50 <= took <= 80, "slowloris (a byte every 3 s, no newline) dropped after %.0f s" % took)


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    if not tlsdb.have_tools():
        t.ok(False, "certutil and openssl available")
        return t.done()
    base = tempfile.mkdtemp(prefix="nutc-srvtls-")
    os.chmod(base, 0o755)
    st = None
    try:
        db, _ = tlsdb.guide_db(os.path.join(base, "guide"), DBPASS)
        st = Stack("srvtls", upsd_extra='CERTPATH %s\nCERTIDENT "nut" "%s"\n' % (db, DBPASS))
        if t.ok(st.start_all(), "upsd with TLS serves eco", st.diag()):
            check_never_reads(t, st)
            check_renegotiation(t, st)
            check_logout_close_notify(t, st)
            check_stalled_handshake(t, st)
            t.ok(st.pid_of("upsd") is not None, "upsd still running", st.diag())
    finally:
        if st:
            st.cleanup()
        shutil.rmtree(base, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
