#!/usr/bin/env python3
"""Our upsmon over TLS (STARTTLS, NSS) to our upsd, on loopback.

NSS databases are made at run time with certutil (tlsdb.py): the setup guide's steps
(tests/data/tls/guide-nssdb.sh) and a small PKI. Every upsmon has a NOTIFYCMD log and a
SHUTDOWNCMD marker (upsmon_common.py); a recording relay (tlsdb.Relay) sits between
upsmon and upsd wherever the bytes on the wire matter.

 guide   the guide's database as it is: its "nut" certificate is self-signed and no CA,
         so CERTVERIFY 1 refuses it (Debian's upsmon 2.8.0 does the same, see
         tests/interop/test_upsmon_tls_interop.py); once the certificate is marked as a
         trusted peer (certutil -M -t "P,,") a secondary, then a primary, with CERTPATH,
         CERTIDENT, CERTVERIFY 1, FORCESSL 1 and CERTHOST naming the certificate's CN
         log in over TLS, get ONBATT / ONLINE, and a full power failure (OB LB -> FSD ->
         secondary shuts down and logs out -> primary shuts down) runs over TLS; the relay
         saw STARTTLS and then TLS records only, no user name or password
 plain   upsd without TLS: FORCESSL 1 and CERTVERIFY 1 refuse to talk plaintext (clear log
         line, nothing but STARTTLS/LOGOUT on the wire, no shutdown); without them the
         same database falls back to plaintext
 pki     CA-signed server certificate: CERTHOST with its name is served; an untrusted CA
         and a name missing from the certificate are refused; a CERTHOST line replaces
         the global CERTVERIFY for its host; upsd restarted with a certificate of another
         CN (same CA): COMMBAD, refused, no shutdown while OL, COMMOK once it is back
 certreq upsd CERTREQUEST REQUIRE: served with a client certificate (CERTIDENT), refused
         without one
 conf    wrong CERTIDENT password, unknown nickname, missing CERTPATH, CERTVERIFY without
         CERTPATH, a database the child's account cannot read: upsmon -n exits 1 naming
         the problem, upsmon refuses to start
 perm    the database becomes unreadable between startup and the first STARTTLS: refused,
         and not a byte in clear after OK STARTTLS (no LOGOUT line)
Prints TAP.
"""
import os
import pwd
import re
import shutil
import struct
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (Stack, Tap, Upsmon, child_user, need_binaries, read,  # noqa: E402
                           wait_for)
import tlsdb  # noqa: E402

KEEP = bool(os.environ.get("KEEP_TMP"))
DBPASS = "guide-db-pass"
PKIPASS = "pki-db-pass"
MAGIC = "upsmon-shutdown-file"
CREDENTIALS = (b"secret", b"adminpass", b"monuser", b"admin", b"USERNAME", b"PASSWORD",
               b"LOGIN")


# ------------------------------------------------------------------ helpers

def sysname(port, ups="ups"):
    return "%s@127.0.0.1:%d" % (ups, port)


def mon_tls(certpath=None, ident=None, verify=None, force=None, hosts=()):
    """upsmon.conf TLS lines; ident = (nickname, password), hosts = CERTHOST tuples."""
    lines = []
    if certpath:
        lines.append("CERTPATH %s" % certpath)
    if ident:
        lines.append('CERTIDENT "%s" "%s"' % ident)
    if verify is not None:
        lines.append("CERTVERIFY %d" % verify)
    if force is not None:
        lines.append("FORCESSL %d" % force)
    lines += ['CERTHOST "%s" "%s" %d %d' % h for h in hosts]
    return "\n".join(lines)


def upsd_tls(db, pw, nick="nut", extra=""):
    return 'CERTPATH %s\nCERTIDENT "%s" "%s"\n%s' % (db, nick, pw, extra)


def tls_stack(tag, upsd_extra="", server="ours"):
    """A Stack (not started) whose upsd.conf holds upsd_extra; server "ref" = Debian's."""
    st = Stack(tag, server=server)
    write_upsd_conf(st, upsd_extra)
    return st


def write_upsd_conf(st, extra):
    path = os.path.join(st.conf, "upsd.conf")
    with open(path, "w") as f:
        f.write("LISTEN 127.0.0.1 %d\n%s" % (st.port, extra))
    os.chmod(path, 0o644)


def give_to_child(path):
    """The guide's "Fix access" step: the database belongs to the account of upsmon's
    child (which opens it at its first STARTTLS, after dropping root)."""
    try:
        pw = pwd.getpwnam(child_user() or "root")
    except KeyError:
        return
    for root, _dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def tls_records_only(data):
    """True when data is a run of TLS records (type 20..23, version 3.x) and nothing
    else; the last one may still be arriving."""
    i = 0
    while i < len(data):
        head = data[i:i + 5]
        if len(head) < 3 or head[0] not in (20, 21, 22, 23) or head[1] != 3:
            return False
        if len(head) < 5:
            return True
        i += 5 + struct.unpack(">H", head[3:5])[0]
    return True


def tls_session(rec):
    """The client sent STARTTLS and then only TLS records; the server answered OK STARTTLS
    and then only TLS records."""
    c2s, s2c = rec["c2s"], rec["s2c"]
    if (not (rec.get("c2s_closed") and rec.get("s2c_closed")) and len(c2s) <= 9
            and b"STARTTLS\n".startswith(c2s) and b"OK STARTTLS\n".startswith(s2c)):
        return True     # a connection still opening: nothing but the start of STARTTLS yet
    return (c2s.startswith(b"STARTTLS\n") and s2c.startswith(b"OK STARTTLS\n")
            and len(c2s) > 9 and tls_records_only(c2s[9:]) and tls_records_only(s2c[12:]))


def no_credentials(rec):
    return not any(w in rec["c2s"] for w in CREDENTIALS)


def sessions(relay):
    with relay.lock:
        return [dict(r) for r in relay.sessions]


def show(recs):
    return "\n".join("c2s %r\ns2c %r" % (r["c2s"][:60], r["s2c"][:60]) for r in recs[-4:])


def upsd_log(st):
    return read(os.path.join(st.logs, "upsd.log"))


def logins(st):
    return [ln for ln in upsd_log(st).splitlines() if "logged into UPS" in ln]


def attempts(m):
    return m.log(100000).count("Trying to connect to UPS")


def diag(st, *mons):
    return "\n".join(["--- upsd\n" + st.logtail("upsd.log", 15)] +
                     ["--- %s: %s\n%s" % (m.tag, m.types(), m.log(15)) for m in mons])


def refused_quietly(m, n=4, timeout=30):
    """m keeps being refused for n connection attempts (more than DEADTIME at POLLFREQ 1)
    and neither shuts down nor exits."""
    base = attempts(m)
    wait_for(lambda: attempts(m) >= base + n, timeout)
    return (attempts(m) >= base + n and not m.shut_down() and "SHUTDOWN" not in m.types()
            and m.proc.poll() is None)


# ------------------------------------------------------------------ guide database

def test_guide(tap, base):
    try:
        db, out = tlsdb.guide_db(os.path.join(base, "guide"), DBPASS)
        give_to_child(os.path.join(base, "guide"))
    except RuntimeError as e:
        tap.ok(False, "guide: NSS database built with the guide's certutil steps", e)
        return None
    tap.ok("CA_nut" in out and "NSS Certificate DB:nut" in out,
           "guide: NSS database built with the guide's certutil steps", out)
    st = tls_stack("tls-guide", upsd_tls(db, DBPASS))
    relay = None
    try:
        st.start()
        relay = tlsdb.Relay(st.port)
        sysn = sysname(relay.port)
        # the guide's certificate carries CN=CA_nut (the subject of its request)
        conf = mon_tls(db, ("nut", DBPASS), 1, 1, [("127.0.0.1", "CA_nut", 1, 1)])

        g = Upsmon(st, "g", ["%s 1 monuser secret secondary" % sysn], extra=conf)
        g.start()
        tap.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*CA_CERT_INVALID",
                                          g.log(50)), 20),
               "guide: as built, CERTVERIFY 1 refuses its self-signed non-CA certificate "
               "(as Debian's upsmon)", diag(st, g))
        tap.ok(refused_quietly(g, 3) and st.numlogins() == 0 and logins(st) == [],
               "guide: ... no login, no shutdown", diag(st, g))
        g.stop()

        tlsdb._run(["certutil", "-M", "-d", db, "-n", "nut", "-t", "P,,",
                    "-f", os.path.join(base, "guide", "pw")])
        sets = {"HOSTSYNC": 30, "FINALDELAY": 1}
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysn], extra=conf, settings=sets)
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysn], extra=conf, settings=sets)
        s.start()
        tap.ok(wait_for(lambda: st.numlogins() == 1 and
                        "User monuser@127.0.0.1 logged into UPS [ups] (SSL)" in upsd_log(st), 20),
               "guide: secondary with the trusted certificate logs in over TLS "
               "(upsd: (SSL), NUMLOGINS 1)", diag(st, s))
        p.start()
        tap.ok(wait_for(lambda: st.numlogins() == 2 and
                        "User admin@127.0.0.1 logged into UPS [ups] (SSL)" in upsd_log(st), 20),
               "guide: primary logs in over TLS too (NUMLOGINS 2)", diag(st, p))
        tap.ok(len(logins(st)) == 2 and all(ln.endswith("(SSL)") for ln in logins(st)),
               "guide: no login in plaintext", "\n".join(logins(st)))
        st.set_status("OB DISCHRG")
        tap.ok(p.wait_event("ONBATT", 15) and s.wait_event("ONBATT", 15),
               "guide: ONBATT through the TLS sessions", diag(st, p, s))
        st.set_status("OL CHRG")
        tap.ok(p.wait_event("ONLINE", 15) and s.wait_event("ONLINE", 15),
               "guide: ONLINE", diag(st, p, s))
        tap.ok(p.types() == ["ONBATT", "ONLINE"] and s.types() == ["ONBATT", "ONLINE"],
               "guide: exactly ONBATT, ONLINE (no COMMBAD)", diag(st, p, s))

        # power failure over TLS
        st.set_status("OB DISCHRG")
        p.wait_event("ONBATT", 15, 2)
        s.wait_event("ONBATT", 15, 2)
        st.set_status("OB LB", wait=False)
        tap.ok(wait_for(lambda: (st.status() or "").startswith("FSD"), 20) and
               "Client admin@127.0.0.1 set FSD on UPS [ups]" in upsd_log(st),
               "power failure: the primary sets FSD (over its TLS session)", diag(st, p))
        tap.ok(wait_for(s.shut_down, 20), "power failure: the secondary runs SHUTDOWNCMD",
               diag(st, s))
        tap.ok(wait_for(p.shut_down, 30), "power failure: the primary runs SHUTDOWNCMD",
               diag(st, p))
        tap.ok((s.marker_time() or 1e12) < (p.marker_time() or 0) and
               "Host sync timer expired" not in p.log(1000),
               "power failure: ... after the secondary logged out (not HOSTSYNC)", p.log(40))
        tap.ok(read(p.pdflag) == MAGIC and p.wait_exit(15) == 0 and s.wait_exit(15) == 0,
               "power failure: POWERDOWNFLAG written, both upsmon exit 0",
               diag(st, p, s))
        tap.ok(sorted(s.types()) == ["FSD", "LOWBATT", "ONBATT", "ONBATT", "ONLINE", "SHUTDOWN"],
               "power failure: the secondary notified LOWBATT, FSD, SHUTDOWN", s.types())
        recs = sessions(relay)
        tap.ok(len(recs) >= 3 and all(tls_session(r) for r in recs),
               "relay: every session was STARTTLS, then TLS records only (%d sessions)"
               % len(recs), show(recs))
        tap.ok(recs and all(no_credentials(r) for r in recs),
               "relay: no user name, password or LOGIN in clear", show(recs))
    except RuntimeError as e:
        tap.ok(False, "guide: stack", "%s\n%s" % (e, diag(st)))
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)
    return db


# ------------------------------------------------------------------ plaintext-only upsd

def test_plain(tap, db):
    st = tls_stack("tls-plain")
    relay = None
    try:
        st.start()
        relay = tlsdb.Relay(st.port)
        sysn = sysname(relay.port)
        f = Upsmon(st, "f", ["%s 1 monuser secret secondary" % sysn],
                   extra=mon_tls(db, ("nut", DBPASS), 0, 1))
        v = Upsmon(st, "v", ["%s 1 monuser secret secondary" % sysn],
                   extra=mon_tls(db, ("nut", DBPASS), 0, 0, [("127.0.0.1", "CA_nut", 1, 0)]))
        t = Upsmon(st, "t", ["%s 1 monuser secret secondary" % sysname(st.port)],
                   extra=mon_tls(db, ("nut", DBPASS)))
        for m in (f, v, t):
            m.start()
        tap.ok(wait_for(lambda: re.search(r"FORCESSL is set for this server but no TLS session "
                                          r"could be set up \(.*\): refusing to talk plaintext",
                                          f.log(50)), 20),
               "plain: FORCESSL 1 vs upsd without TLS: refused, with a clear log line",
               diag(st, f))
        tap.ok(wait_for(lambda: re.search(r"CERTVERIFY is set for this server but no TLS session "
                                          r"could be set up \(.*\): refusing to talk plaintext",
                                          v.log(50)), 20),
               "plain: CERTVERIFY 1 (CERTHOST) vs upsd without TLS: refused too", diag(st, v))
        tap.ok(wait_for(lambda: "User monuser@127.0.0.1 logged into UPS [ups]" in upsd_log(st), 20)
               and st.numlogins() == 1,
               "plain: without them, the same settings fall back to plaintext (one login)",
               diag(st, t))
        st.set_status("OB DISCHRG")
        tap.ok(t.wait_event("ONBATT", 15), "plain: the plaintext upsmon gets ONBATT", diag(st, t))
        tap.ok(refused_quietly(f) and refused_quietly(v, 2) and st.numlogins() == 1,
               "plain: the refused ones keep refusing: no login, no shutdown", diag(st, f, v))
        recs = sessions(relay)
        words = set()
        for r in recs:
            words.update(r["c2s"].decode(errors="replace").split())
        tap.ok(recs and words <= {"STARTTLS", "LOGOUT"},
               "plain: on the wire only STARTTLS (and LOGOUT), nothing after the refusal",
               "%s\n%s" % (sorted(words), show(recs)))
        st.set_status("OL")
    except RuntimeError as e:
        tap.ok(False, "plain: stack", "%s\n%s" % (e, diag(st)))
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)


# ------------------------------------------------------------------ CA-signed certificates

def test_pki(tap, pki, cli, other):
    st = tls_stack("tls-pki", upsd_tls(pki.server, PKIPASS))
    relays = []
    try:
        st.start()

        def relayed():
            r = tlsdb.Relay(st.port)
            relays.append(r)
            return r

        r_ok, r_ca, r_name = relayed(), relayed(), relayed()
        ok = Upsmon(st, "ok", ["%s 1 monuser secret secondary" % sysname(r_ok.port)],
                    extra=mon_tls(cli, None, 1, 1, [("127.0.0.1", "nutserver", 1, 1)]),
                    settings={"NOCOMMWARNTIME": 300})
        ca = Upsmon(st, "ca", ["%s 1 monuser secret secondary" % sysname(r_ca.port)],
                    extra=mon_tls(other, None, 1, 1, [("127.0.0.1", "nutserver", 1, 1)]))
        name = Upsmon(st, "name", ["%s 1 monuser secret secondary" % sysname(r_name.port)],
                      extra=mon_tls(cli, None, 1, 1))
        ovr = Upsmon(st, "ovr", ["%s 1 monuser secret secondary" % sysname(st.port)],
                     extra=mon_tls(other, None, 1, 1, [("127.0.0.1", "nutserver", 0, 1)]))
        mons = (ok, ca, name, ovr)
        for m in mons:
            m.start()
        tap.ok(wait_for(lambda: ok.polls() > 0, 20) and ok.types() == [],
               "pki: CERTVERIFY 1 + CERTHOST with the certificate's name: logged in, polling",
               diag(st, ok))
        tap.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*(ISSUER|UNTRUSTED)",
                                          ca.log(50)), 20),
               "pki: server certificate from an untrusted CA: refused (clear log line)",
               diag(st, ca))
        tap.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*DOMAIN",
                                          name.log(50)), 20),
               "pki: no CERTHOST, the MONITOR host (127.0.0.1) is not in the certificate: refused",
               diag(st, name))
        tap.ok(wait_for(lambda: ovr.polls() > 0, 20),
               "pki: CERTHOST ... 0 1 replaces the global CERTVERIFY 1 for its host "
               "(untrusted certificate accepted)", diag(st, ovr))
        tap.ok(refused_quietly(ca) and refused_quietly(name, 2) and st.numlogins() == 2 and
               len(logins(st)) == 2 and all(ln.endswith("(SSL)") for ln in logins(st)),
               "pki: refused ones: no login, no shutdown; the two logins were (SSL)",
               diag(st, ca, name))
        bad = sessions(r_ca) + sessions(r_name)
        tap.ok(bad and all(tls_session(r) and no_credentials(r) for r in bad),
               "pki: refused sessions: TLS records only after STARTTLS, no credentials",
               show(bad))

        # upsd comes back with a certificate of another CN from the same CA
        pki.sign_other()
        st.stop_upsd()
        tap.ok(ok.wait_event("COMMBAD", 15), "pki: upsd gone: COMMBAD", diag(st, ok))
        n_ok = len(sessions(r_ok))
        write_upsd_conf(st, upsd_tls(pki.server, PKIPASS, nick="other"))
        st.start_upsd()
        tap.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*DOMAIN", ok.log(30)), 20),
               "pki: upsd back with CN=otherhost (same CA): refused by CERTHOST's name",
               diag(st, ok))
        tap.ok(refused_quietly(ok) and ok.types() == ["COMMBAD"] and
               wait_for(lambda: st.numlogins() == 1, 10),
               "pki: ... stays refused past DEADTIME while OL: no shutdown (the "
               "CERTHOST 0 one is back)", diag(st, ok))
        later = sessions(r_ok)[n_ok:]
        tap.ok(later and all(tls_session(r) and no_credentials(r) for r in later),
               "pki: ... and never fell back to plaintext", show(later))
        st.stop_upsd()
        write_upsd_conf(st, upsd_tls(pki.server, PKIPASS))
        st.start_upsd()
        tap.ok(ok.wait_event("COMMOK", 20) and wait_for(lambda: st.numlogins() == 2, 15),
               "pki: upsd back with the right certificate: COMMOK, logged in again",
               diag(st, ok))
        tap.ok(all(not m.shut_down() and m.proc.poll() is None for m in mons),
               "pki: no upsmon shut down or died", diag(st, *mons))
    except RuntimeError as e:
        tap.ok(False, "pki: stack", "%s\n%s" % (e, diag(st)))
    finally:
        for r in relays:
            r.close()
        st.cleanup(KEEP)


def test_perm(tap, pki, cli):
    """The database becomes unreadable for the child between startup and its first
    STARTTLS: refused after OK STARTTLS, and nothing at all sent in clear after it."""
    user = child_user()
    if user in (None, "root"):
        for what in ("refused with a clear log line", "nothing in clear after OK STARTTLS"):
            tap.skip("perm: database unreadable at the first STARTTLS: " + what,
                     "the child runs as root here")
        return
    db = os.path.join(os.path.dirname(cli), "cli-perm")
    shutil.copytree(cli, db)
    give_to_child(db)
    st = tls_stack("tls-perm", upsd_tls(pki.server, PKIPASS))
    relay = None
    try:
        st.start()
        st.stop_upsd()
        relay = tlsdb.Relay(st.port)
        m = Upsmon(st, "m", ["%s 1 monuser secret secondary" % sysname(relay.port)],
                   extra=mon_tls(db, None, 1, 1, [("127.0.0.1", "nutserver", 1, 1)]))
        m.start()
        wait_for(lambda: "connect failed" in m.log(30), 20)    # upsd is down
        for name in os.listdir(db):
            os.chown(os.path.join(db, name), 0, 0)
            os.chmod(os.path.join(db, name), 0o600)
        st.start_upsd()
        tap.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*can't open the NSS "
                                          r"database", m.log(30)), 20) and refused_quietly(m, 2),
               "perm: database unreadable at the first STARTTLS: refused with a clear log line",
               diag(st, m))
        recs = [r for r in sessions(relay) if r["s2c"].startswith(b"OK STARTTLS\n")]
        tap.ok(recs and all(r["c2s"] == b"STARTTLS\n" for r in recs) and
               "RECORD_TOO_LONG" not in upsd_log(st),
               "perm: database unreadable at the first STARTTLS: nothing in clear after "
               "OK STARTTLS", show(recs) + "\n" + st.logtail("upsd.log"))
    except RuntimeError as e:
        tap.ok(False, "perm: stack", "%s\n%s" % (e, diag(st)))
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)


def test_certrequest(tap, pki, cli, clicert):
    st = tls_stack("tls-req", upsd_tls(pki.server, PKIPASS, extra="CERTREQUEST REQUIRE\n"))
    relay = None
    try:
        st.start()
        relay = tlsdb.Relay(st.port)
        host = [("127.0.0.1", "nutserver", 1, 1)]
        cc = Upsmon(st, "cc", ["%s 1 admin adminpass primary" % sysname(st.port)],
                    extra=mon_tls(clicert, ("monitor", ""), 1, 1, host))
        nc = Upsmon(st, "nc", ["%s 1 monuser secret secondary" % sysname(relay.port)],
                    extra=mon_tls(cli, None, 1, 1, host))
        cc.start()
        nc.start()
        tap.ok(wait_for(lambda: "User admin@127.0.0.1 logged into UPS [ups] (SSL)"
                        in upsd_log(st), 20) and wait_for(lambda: cc.polls() > 0, 10),
               "certreq: CERTREQUEST REQUIRE: upsmon with a client certificate (CERTIDENT) "
               "is served", diag(st, cc))
        tap.ok(wait_for(lambda: "did not provide any certificate" in upsd_log(st), 20) and
               wait_for(lambda: "SSL error" in nc.log(50), 20),
               "certreq: without one it is refused (upsd and upsmon log it)", diag(st, nc))
        tap.ok(refused_quietly(nc) and st.numlogins() == 1 and
               "monuser" not in "".join(logins(st)),
               "certreq: ... no login, no shutdown", diag(st, nc))
        recs = sessions(relay)
        tap.ok(recs and all(tls_session(r) and no_credentials(r) for r in recs),
               "certreq: refused sessions: TLS records only, no credentials", show(recs))
    except RuntimeError as e:
        tap.ok(False, "certreq: stack", "%s\n%s" % (e, diag(st)))
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)


# ------------------------------------------------------------------ configuration errors

def test_conf(tap, db):
    st = Stack("tls-conf")           # never started: upsmon must stop before connecting
    try:
        mon = ["%s 1 monuser secret secondary" % sysname(st.port)]
        good = Upsmon(st, "good", mon, extra=mon_tls(db, ("nut", DBPASS), 1, 1,
                                                     [("127.0.0.1", "CA_nut", 1, 1)]))
        r = good.cmd("-n")
        tap.ok(r.returncode == 0 and "Configuration OK" in r.stdout,
               "conf: upsmon -n accepts the guide database and password", r.stdout + r.stderr)
        cases = [
            ("wrong CERTIDENT password", mon_tls(db, ("nut", "not-the-password"), 0, 1),
             "TLS setup failed: wrong password for the NSS database"),
            ("unknown CERTIDENT nickname", mon_tls(db, ("nosuchcert", DBPASS), 0, 1),
             "TLS setup failed: .*nosuchcert"),
            ("missing CERTPATH directory", mon_tls(db + "-missing", None, 0, 1),
             "TLS setup failed: .*-missing"),
            ("CERTVERIFY 1 without CERTPATH", mon_tls(None, None, 1, 1),
             "CERTVERIFY is set, but CERTPATH isn't"),
        ]
        if child_user() not in (None, "root"):
            # the guide's database before its "Fix access" step: root's alone
            rootdb = os.path.join(os.path.dirname(os.path.dirname(db)), "rootonly")
            shutil.copytree(db, rootdb)
            for name in os.listdir(rootdb):
                os.chmod(os.path.join(rootdb, name), 0o600)
            cases.append(("database only root can read (no chown to %s)" % child_user(),
                          mon_tls(rootdb, ("nut", DBPASS), 0, 1),
                          "TLS setup failed as user %s .*%s" % (child_user(), rootdb)))
        for i, (what, conf, want) in enumerate(cases):
            m = Upsmon(st, "bad%d" % i, mon, extra=conf)
            r = m.cmd("-n")
            out = r.stdout + r.stderr
            tap.ok(r.returncode == 1 and re.search(want, out) and "problem(s) found" in out,
                   "conf: upsmon -n exits 1: " + what, out)
            m.start()
            rc = m.wait_exit(20)
            tap.ok(rc not in (None, 0) and re.search(want, m.log(20)) and m.pid() is None
                   and not m.shut_down(),
                   "conf: upsmon refuses to start: " + what, "rc=%s\n%s" % (rc, m.log(20)))
    finally:
        st.cleanup(KEEP)


# ------------------------------------------------------------------ main

class TestPki(tlsdb.Pki):
    def sign_other(self):
        """A second server certificate in the server database, same CA, CN=otherhost."""
        if not getattr(self, "have_other", False):
            self._sign_in_db(self.server, "other", "CN=otherhost,O=nutc tests", ("otherhost",))
            self.have_other = True


def main():
    tap = Tap()
    need_binaries(tap, ["upsd", "upsmon", "dummy-ups"])
    if not tlsdb.have_tools():
        tap.ok(False, "certutil and openssl available",
               "certutil=%s openssl=%s" % (shutil.which("certutil"), shutil.which("openssl")))
        return tap.done()
    base = tempfile.mkdtemp(prefix="nutc-upsmon-tls-")
    os.chmod(base, 0o755)
    try:
        db = test_guide(tap, base)
        if db:
            test_plain(tap, db)
            test_conf(tap, db)
        try:
            pki = TestPki(os.path.join(base, "pki"), PKIPASS)
            cli = pki.client_db("cli")
            clicert = pki.client_db("clicert", client_cert="monitor")
            other = pki.foreign_client_db("other")
            give_to_child(os.path.join(base, "pki"))
        except RuntimeError as e:
            tap.ok(False, "pki: CA, server and client databases built", e)
            return tap.done()
        tap.ok(True, "pki: CA, server and client databases built")
        test_pki(tap, pki, cli, other)
        test_certrequest(tap, pki, cli, clicert)
        test_perm(tap, pki, cli)
    finally:
        if not KEEP:
            shutil.rmtree(base, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
