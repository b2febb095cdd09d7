#!/usr/bin/env python3
"""TLS (STARTTLS over NSS) in our upsd and our client library, on loopback.

Databases are made at run time with certutil: the setup guide's steps (CA_nut + "nut",
password protected) and a small PKI for verification and client-certificate cases.
Covers: upsd -n and startup refusals; STARTTLS replies; protocol and suite policy;
our upsc over TLS; a recorded session with no password in clear; commands pipelined
behind STARTTLS are not run in clear; a stalled handshake does not hold up 100 other
clients; CERTVERIFY / CERTHOST / FORCESSL / CERTREQUEST with tlsprobe (the upsclient
API as upsmon uses it); upsd in the background (NSS opened again after fork).
Prints TAP.
"""
import os
import re
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, Tap, binary, build_dir, run_user, wait_for  # noqa: E402
import tlsdb  # noqa: E402

DBPASS = "guide-db-pass"
PKIPASS = "pki-db-pass"


def tlsprobe():
    path = os.path.join(build_dir(), "tests", "integration", "tlsprobe")
    return path if os.access(path, os.X_OK) else None


def tls_conf(db, pw=DBPASS, nick="nut", extra=""):
    return 'CERTPATH %s\nCERTIDENT "%s" "%s"\n%s' % (db, nick, pw, extra)


def start_tls_stack(tag, conf):
    st = Stack(tag, upsd_extra=conf)
    ok = st.start_all()
    return st, ok


def probe(st, args, port=None, timeout=30):
    target = "eco@127.0.0.1:%d" % (port or st.port)
    return st.run([tlsprobe()] + list(args) + [target], timeout=timeout)


def upsd_log_has(st, text, timeout=10):
    return wait_for(lambda: text in st.logtail("upsd", 400), timeout)


# ------------------------------------------------------------------ guide database

def test_guide(t, base):
    try:
        db, out = tlsdb.guide_db(os.path.join(base, "guide"), DBPASS)
    except RuntimeError as e:
        t.ok(False, "guide: NSS database built with the guide's certutil steps", e)
        return None
    t.ok("CA_nut" in out and re.search(r"^nut\s", out, re.M) and "NSS Certificate DB:nut" in out,
         "guide: NSS database built with the guide's certutil steps (CA_nut, nut, its key)", out)
    return db


def test_checkmode(t, db):
    st = Stack("tls-n", upsd_extra=tls_conf(db))
    try:
        rc, out, err = st.run([binary("upsd"), "-n"])
        t.ok(rc == 0 and "Configuration OK" in out, "upsd -n accepts the guide database", out + err)
        cases = [
            ("wrong database password", tls_conf(db, pw="not-the-password"),
             r"upsd\.conf:3: CERTIDENT \"nut\": wrong password"),
            ("unknown nickname", tls_conf(db, nick="nosuchcert"),
             r"upsd\.conf:3: CERTIDENT \"nosuchcert\": certificate \"nosuchcert\" not found"),
            ("missing database directory", tls_conf(db + "-missing"),
             r"upsd\.conf:2: CERTPATH .*-missing: .*No such file or directory"),
            ("CERTPATH without CERTIDENT", "CERTPATH %s\n" % db,
             r"upsd\.conf:2: CERTPATH needs CERTIDENT"),
            ("CERTFILE (OpenSSL keyword)", "CERTFILE /etc/nut/upsd.pem\n",
             r"upsd\.conf:2: CERTFILE is a setting of OpenSSL builds"),
        ]
        for name, conf, want in cases:
            st.write("upsd.conf", "LISTEN 127.0.0.1 %d\n%s" % (st.port, conf))
            rc, out, err = st.run([binary("upsd"), "-n"])
            t.ok(rc != 0 and re.search(want, out), "upsd -n reports: " + name, out + err)
            rc, out, err = st.run([binary("upsd"), "-u", run_user(), "-F"], timeout=30)
            t.ok(rc not in (0, -999) and re.search("Fatal error: .*" + want, out + err),
                 "upsd refuses to start: " + name, "rc=%d\n%s%s" % (rc, out, err))
    finally:
        st.cleanup()


# ------------------------------------------------------------------ server behaviour

def test_starttls_replies(t, st):
    c = tlsdb.TlsConn(st.port)
    try:
        rep, err = c.starttls()
        t.ok(rep == "OK STARTTLS" and err is None and c.tls.version() == "TLSv1.3",
             "STARTTLS: OK STARTTLS, then a TLS 1.3 handshake", "%s %s" % (rep, err))
        if err is None:
            t.ok(c.cmd("VER").startswith("Network UPS Tools upsd"), "VER inside TLS")
            t.ok(c.cmd("STARTTLS") == "ERR ALREADY-SSL-MODE", "second STARTTLS: ERR ALREADY-SSL-MODE")
            t.ok(c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"', "GET VAR inside TLS")
    finally:
        c.close()
    t.ok(upsd_log_has(st, "SSL handshake done successfully with client 127.0.0.1"),
         "upsd logs the handshake", st.logtail("upsd"))


def handshake_with(st, ctx):
    c = tlsdb.TlsConn(st.port)
    try:
        rep, err = c.starttls(ctx)
        return err, (c.tls.version(), c.tls.cipher()[0]) if err is None else None
    finally:
        c.close()


def test_policy(t, st):
    err, got = handshake_with(st, tlsdb.client_context(maximum=ssl.TLSVersion.TLSv1_2))
    t.ok(err is None and got[0] == "TLSv1.2" and ("GCM" in got[1] or "CHACHA20" in got[1])
         and "ECDHE" in got[1], "a TLS 1.2 client gets an ECDHE AEAD suite", "%s %s" % (err, got))
    err, got = handshake_with(st, tlsdb.client_context(
        maximum=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA256"))
    t.ok(err is not None, "CBC-only suites are refused", "%s %s" % (err, got))
    try:
        ctx = tlsdb.client_context(minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1_1,
                                   ciphers="DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as e:
        t.skip("TLS 1.1 is refused", "this Python cannot offer TLS 1.1: %s" % e)
        return
    err, got = handshake_with(st, ctx)
    t.ok(err is not None, "TLS 1.1 is refused", "%s %s" % (err, got))


def test_our_upsc(t, st):
    relay = tlsdb.Relay(st.port)
    try:
        rc, out, err = st.upsc("eco@127.0.0.1:%d" % relay.port)
        t.ok(rc == 0 and "battery.charge: 100" in out and "ups.status: OL" in out,
             "our upsc over TLS: whole UPS listed", out + err)
        t.ok(err.strip() == "", "our upsc over TLS: nothing on stderr", err)
        rec = relay.sessions[-1] if relay.sessions else {"c2s": b"", "s2c": b""}
        c2s, s2c = rec["c2s"], rec["s2c"]
        t.ok(c2s.startswith(b"STARTTLS\n") and c2s[9:11] == b"\x16\x03"
             and s2c.startswith(b"OK STARTTLS\n") and s2c[12:13] == b"\x16"
             and b"battery" not in s2c and b"LIST VAR" not in c2s,
             "recorded: STARTTLS in clear, then only TLS records", repr(c2s[:40]) + repr(s2c[:40]))
    finally:
        relay.close()


def test_password_capture(t, st):
    relay = tlsdb.Relay(st.port)
    try:
        rc, out, err = probe(st, ["-u", "monuser", "-P", "secret"], port=relay.port)
        t.ok(rc == 0 and "ssl=1" in out and "login: OK" in out and "status=OL" in out,
             "tlsprobe logs in over TLS", out + err)
        rec = relay.sessions[-1] if relay.sessions else {"c2s": b"", "s2c": b""}
        after = rec["c2s"][len(b"STARTTLS\n"):]
        t.ok(rec["c2s"].startswith(b"STARTTLS\n") and b"secret" not in rec["c2s"]
             and b"monuser" not in after and b"PASSWORD" not in rec["c2s"],
             "recorded session: no password, user name or command in clear", repr(rec["c2s"][:60]))
        t.ok(upsd_log_has(st, "User monuser@127.0.0.1 logged into UPS [eco] (SSL)"),
             "upsd logs the login with (SSL)", st.logtail("upsd"))
    finally:
        relay.close()


def test_pipelined(t, st):
    s = socket.create_connection(("127.0.0.1", st.port), timeout=10)
    try:
        s.sendall(b"STARTTLS\nUSERNAME monuser\nPASSWORD secret\nLOGIN eco\n")
        data = b""
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                chunk = s.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        t.ok(data.startswith(b"OK STARTTLS\n") and b"\nOK" not in data,
             "commands pipelined behind STARTTLS are never run in clear", repr(data[:80]))
    finally:
        s.close()
    c = tlsdb.TlsConn(st.port)
    try:
        t.ok(c.cmd("GET NUMLOGINS eco") == "NUMLOGINS eco 0", "and did not log in", "")
    finally:
        c.close()


def staller(port):
    """STARTTLS, then the first bytes of a ClientHello and silence."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"STARTTLS\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            break
        buf += chunk
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    return s, buf


def test_stall(t, st, nclients=100):
    stalled = [staller(st.port) for _ in range(3)]
    t.ok(all(b == b"OK STARTTLS\n" for _, b in stalled), "3 clients stall mid-handshake")
    results = [None] * nclients

    def one(i):
        try:
            if i % 5 == 0:
                c = tlsdb.TlsConn(st.port, timeout=30)
                rep, err = c.starttls()
                results[i] = err is None and c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"'
            else:
                c = tlsdb.TlsConn(st.port, timeout=30)
                results[i] = c.cmd("GET VAR eco battery.charge") == 'VAR eco battery.charge "100"'
            c.close()
        except OSError:
            results[i] = False

    threads = [threading.Thread(target=one, args=(i,)) for i in range(nclients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    good = sum(1 for r in results if r)
    t.ok(good == nclients, "%d clients (1 in 5 with TLS) served while 3 handshakes stall" % nclients,
         "%d of %d served" % (good, nclients))
    alive = 0
    for s, _ in stalled:
        s.settimeout(0.2)
        try:
            alive += 1 if s.recv(1) != b"" else 0
        except socket.timeout:
            alive += 1
        except OSError:
            pass
        s.close()
    t.ok(alive == 3, "the stalled sessions were neither served nor dropped meanwhile", "alive=%d" % alive)


def test_background(t, db):
    st = Stack("tls-bg", upsd_extra=tls_conf(db))
    try:
        ok = st.start_driver() and st.start_upsd(foreground=False) and st.wait_ready()
        t.ok(ok, "upsd with TLS goes to the background", st.diag())
        c = tlsdb.TlsConn(st.port)
        try:
            rep, err = c.starttls()
            t.ok(err is None and c.cmd("GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
                 "background upsd (NSS opened again after fork) serves TLS", "%s %s" % (rep, err))
        finally:
            c.close()
        pid = st.pid_of("upsd")
        if pid:
            os.kill(pid, signal.SIGHUP)
        time.sleep(1)
        c = tlsdb.TlsConn(st.port)
        try:
            rep, err = c.starttls()
            t.ok(err is None, "TLS still served after a reload", "%s %s" % (rep, err))
        finally:
            c.close()
    finally:
        st.cleanup()


def test_no_tls_server(t):
    st = Stack("tls-off")
    try:
        t.ok(st.start_all(), "upsd without TLS settings starts", st.diag())
        c = tlsdb.TlsConn(st.port)
        try:
            t.ok(c.cmd("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED", "STARTTLS: ERR FEATURE-NOT-CONFIGURED")
            t.ok(c.cmd("VER").startswith("Network UPS Tools"), "plaintext goes on after the refusal")
        finally:
            c.close()
        rc, out, err = probe(st, [])
        t.ok(rc == 0 and "ssl=0" in out and "status=OL" in out, "TRYSSL: plaintext when not offered",
             out + err)
        rc, out, err = probe(st, ["-f"])
        t.ok(rc == 2 and "error: SSL is not available" in out, "FORCESSL: refused when not offered",
             out + err)
    finally:
        st.cleanup()


# ------------------------------------------------------------------ verification, client certs

def test_pki(t, base):
    try:
        pki = tlsdb.Pki(os.path.join(base, "pki"), PKIPASS)
        cli = pki.client_db("cli")
        cli_cert = pki.client_db("clicert", client_cert="monitor")
        other = pki.foreign_client_db("other")
        keyless = pki.keyless_db("keyless")
    except RuntimeError as e:
        t.ok(False, "pki: databases built", e)
        return
    t.ok(True, "pki: CA, server and client databases built")
    st, ok = start_tls_stack("tls-pki", tls_conf(pki.server, pw=PKIPASS))
    try:
        t.ok(ok, "upsd serves with a CA-signed certificate", st.diag())
        rc, out, err = probe(st, ["-p", cli, "-v", "-H", "127.0.0.1,nutserver,1,1"])
        t.ok(rc == 0 and "ssl=1" in out and "status=OL" in out,
             "CERTVERIFY with CERTHOST name: verified session", out + err)
        rc, out, err = probe(st, ["-p", cli, "-v"])
        t.ok(rc == 2 and "SSL error" in out and "DOMAIN" in out,
             "CERTVERIFY: refused when the name does not match (127.0.0.1)", out + err)
        rc, out, err = probe(st, ["-p", cli, "-H", "127.0.0.1,othername,1,1"])
        t.ok(rc == 2 and "DOMAIN" in out, "CERTHOST with a wrong name: refused", out + err)
        rc, out, err = probe(st, ["-p", other, "-v", "-H", "127.0.0.1,nutserver,1,1"])
        t.ok(rc == 2 and "SSL error" in out and ("ISSUER" in out or "UNTRUSTED" in out),
             "CERTVERIFY: refused with an untrusted CA", out + err)
        rc, out, err = probe(st, ["-v"])
        t.ok(rc == 2 and "needs CERTPATH" in out, "CERTVERIFY without CERTPATH: refused", out + err)
        rc, out, err = probe(st, ["-p", other, "-H", "127.0.0.1,nutserver,0,1"])
        t.ok(rc == 0 and "ssl=1" in out, "CERTHOST verify 0: untrusted certificate accepted", out + err)
    finally:
        st.cleanup()
    for level, want_plain in (("REQUIRE", False), ("REQUEST", True), ("2", False)):
        st, ok = start_tls_stack("tls-req", tls_conf(pki.server, pw=PKIPASS,
                                                       extra="CERTREQUEST %s\n" % level))
        try:
            rc, out, err = probe(st, ["-p", cli])
            if want_plain:
                t.ok(ok and rc == 0 and "ssl=1" in out, "CERTREQUEST %s: client without a certificate served"
                     % level, out + err + st.logtail("upsd"))
            else:
                # TLS 1.3: the client finishes first, the refusal comes with the first read
                t.ok(ok and rc != 0 and "SSL error" in out and "status=" not in out,
                     "CERTREQUEST %s: client without a certificate refused" % level, out + err)
                t.ok(upsd_log_has(st, "did not provide any certificate"),
                     "CERTREQUEST %s: upsd logs the missing certificate" % level, st.logtail("upsd"))
            rc, out, err = probe(st, ["-p", cli_cert, "-i", "monitor", "-v", "-H",
                                      "127.0.0.1,nutserver,1,1", "-u", "monuser", "-P", "secret"])
            t.ok(rc == 0 and "ssl=1" in out and "login: OK" in out,
                 "CERTREQUEST %s: client with a CA-signed certificate served" % level, out + err)
        finally:
            st.cleanup()
    st = Stack("tls-keyless", upsd_extra=tls_conf(keyless, pw=PKIPASS))
    try:
        rc, out, err = st.run([binary("upsd"), "-n"])
        t.ok(rc != 0 and re.search(r"upsd\.conf:3: CERTIDENT \"nut\": no private key", out),
             "upsd -n reports: certificate without its key", out + err)
    finally:
        st.cleanup()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "upsc", "dummy-ups")
    if not tlsdb.have_tools() or tlsprobe() is None:
        t.ok(False, "certutil, openssl and tlsprobe available",
             "certutil=%s openssl=%s tlsprobe=%s" % (shutil.which("certutil"),
                                                      shutil.which("openssl"), tlsprobe()))
        return t.done()
    base = tempfile.mkdtemp(prefix="nutc-tls-")
    os.chmod(base, 0o755)
    try:
        db = test_guide(t, base)
        if db:
            test_checkmode(t, db)
            st, ok = start_tls_stack("tls", tls_conf(db))
            try:
                t.ok(ok, "upsd serves with the guide database", st.diag())
                if ok:
                    test_starttls_replies(t, st)
                    test_policy(t, st)
                    test_our_upsc(t, st)
                    test_password_capture(t, st)
                    test_pipelined(t, st)
                    test_stall(t, st)
                    t.ok(st.pid_of("upsd") is not None, "upsd still running", st.diag())
            finally:
                st.cleanup()
            test_background(t, db)
        test_no_tls_server(t)
        test_pki(t, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
