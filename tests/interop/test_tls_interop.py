#!/usr/bin/env python3
"""TLS interop with Debian's NUT 2.8.0 (NSS build), same databases on both sides:
 - Debian's upsc over TLS to our upsd (guide database);
 - Debian's upsmon with CERTPATH + CERTVERIFY 1 + CERTHOST over TLS to our upsd
   (CA-signed certificate), its login recorded by a relay: no password in clear;
 - our upsc over TLS to Debian's upsd (guide database);
 - our client library (tlsprobe, as upsmon uses it) verifying Debian's upsd, and logging in
   through a relay: no password in clear.
Databases are made at run time with certutil (tests/data/tls/guide-nssdb.sh and a small PKI).
Prints TAP; SKIP without NUTREF."""
import os
import sys
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import peer  # noqa: E402
import tlsdb  # noqa: E402

DBPASS = "guide-db-pass"
PKIPASS = "pki-db-pass"

NAMES = [
    "databases built with certutil",
    "our upsd serves TLS (guide database)",
    "Debian's upsc over TLS to our upsd",
    "recorded: Debian's upsc used STARTTLS, then only TLS records",
    "our upsd served Debian's upsc a TLS session",
    "our upsd serves TLS (CA-signed certificate)",
    "Debian's upsmon (CERTVERIFY 1, CERTHOST) logs into our upsd over TLS",
    "recorded: no password or user name in clear from Debian's upsmon",
    "Debian's upsd serves TLS (guide database)",
    "our upsc over TLS to Debian's upsd",
    "recorded: our upsc used STARTTLS, then only TLS records",
    "Debian's upsd logged our handshake",
    "Debian's upsd serves TLS (CA-signed certificate)",
    "our client library verifies Debian's upsd and logs in over TLS",
    "recorded: no password in clear to Debian's upsd",
    "our client library refuses Debian's upsd under a wrong name",
]


def tlsprobe():
    path = os.path.join(peer.build_dir(), "tests", "integration", "tlsprobe")
    return path if os.access(path, os.X_OK) else None


def start_upsd(tree, impl, conf):
    tree.write("upsd.conf", "LISTEN 127.0.0.1 %d\nDATAPATH %s\n%s" % (tree.port, impl.datapath, conf))
    tree.spawn("upsd", impl, [impl.exe("upsd"), "-F", "-D", "-u", peer.run_user()])
    return tree.wait_ready(20)


def tls_conf(db, pw, extra=""):
    return 'CERTPATH %s\nCERTIDENT "nut" "%s"\n%s' % (db, pw, extra)


def tls_only(rec, c2s_head=b"STARTTLS\n", s2c_head=b"OK STARTTLS\n"):
    c2s, s2c = rec["c2s"], rec["s2c"]
    return (c2s.startswith(c2s_head) and c2s[len(c2s_head):len(c2s_head) + 2] == b"\x16\x03"
            and s2c.startswith(s2c_head) and s2c[len(s2c_head):len(s2c_head) + 1] == b"\x16")


def log_has(tree, name, text, timeout=15):
    return peer.wait_for(lambda: text in tree.logtail(name, 500), timeout)


def real_upsc_to_ours(t, real, ours, guide):
    tree = peer.Tree("tls-ru")
    relay = None
    try:
        ok = tree.start_driver(ours) and start_upsd(tree, ours, tls_conf(guide, DBPASS))
        t.ok(ok, NAMES[1], tree.diag())
        relay = tlsdb.Relay(tree.port)
        rc, out, err = tree.client(real, "upsc", ["eco@127.0.0.1:%d" % relay.port])
        t.ok(rc == 0 and "battery.charge: 100" in out and "ups.status: OL" in out, NAMES[2], out + err)
        t.ok(relay.sessions and tls_only(relay.sessions[-1]), NAMES[3],
             repr(relay.sessions[-1] if relay.sessions else None)[:200])
        t.ok(log_has(tree, "upsd", "SSL handshake done successfully with client 127.0.0.1"),
             NAMES[4], tree.logtail("upsd"))
    finally:
        if relay:
            relay.close()
        tree.cleanup()


def real_upsmon_to_ours(t, real, ours, pki, cli):
    if os.path.isdir("/run/nut"):
        for n in NAMES[5:8]:
            t.skip(n, "/run/nut exists: Debian's upsmon would write its PID file there")
        return
    tree = peer.Tree("tls-rm")
    relay = None
    try:
        ok = tree.start_driver(ours) and start_upsd(tree, ours, tls_conf(pki.server, PKIPASS))
        t.ok(ok, NAMES[5], tree.diag())
        relay = tlsdb.Relay(tree.port)
        conf = os.path.join(tree.conf, "upsmon.conf")
        with open(conf, "w") as f:
            f.write("MONITOR eco@127.0.0.1:%d 1 monuser secret slave\n"
                    "MINSUPPLIES 1\nPOLLFREQ 2\nSHUTDOWNCMD \"/bin/true\"\n"
                    "POWERDOWNFLAG %s/killpower\n"
                    "CERTPATH %s\nCERTVERIFY 1\nFORCESSL 1\n"
                    "CERTHOST \"127.0.0.1\" \"nutserver\" 1 1\n" % (relay.port, tree.dir, cli))
        os.chmod(conf, 0o640)
        mon = os.path.join(peer.nutref(), "lib", "nut", "upsmon")
        tree.spawn("upsmon", real, [mon, "-F", "-D", "-f", conf, "-u", peer.run_user()])
        t.ok(log_has(tree, "upsd", "User monuser@127.0.0.1 logged into UPS [eco] (SSL)", 30),
             NAMES[6], tree.logtail("upsd") + tree.logtail("upsmon"))
        rec = relay.sessions[-1] if relay.sessions else {"c2s": b"", "s2c": b""}
        t.ok(tls_only(rec) and b"secret" not in rec["c2s"] and b"monuser" not in rec["c2s"],
             NAMES[7], repr(rec["c2s"][:80]))
    finally:
        tree.stop("upsmon")
        if relay:
            relay.close()
        tree.cleanup()


def ours_to_real_upsd(t, real, ours, guide):
    tree = peer.Tree("tls-ou")
    relay = None
    try:
        ok = tree.start_driver(ours) and start_upsd(tree, real, tls_conf(guide, DBPASS))
        t.ok(ok, NAMES[8], tree.diag())
        relay = tlsdb.Relay(tree.port)
        rc, out, err = tree.client(ours, "upsc", ["eco@127.0.0.1:%d" % relay.port])
        t.ok(rc == 0 and "battery.charge: 100" in out and "ups.status: OL" in out, NAMES[9], out + err)
        t.ok(relay.sessions and tls_only(relay.sessions[-1]), NAMES[10],
             repr(relay.sessions[-1] if relay.sessions else None)[:200])
        t.ok(log_has(tree, "upsd", "SSL handshake done successfully with client"), NAMES[11],
             tree.logtail("upsd"))
    finally:
        if relay:
            relay.close()
        tree.cleanup()


def probe_real_upsd(t, real, ours, pki, cli):
    tree = peer.Tree("tls-op")
    relay = None
    try:
        ok = tree.start_driver(ours) and start_upsd(tree, real, tls_conf(pki.server, PKIPASS))
        t.ok(ok, NAMES[12], tree.diag())
        relay = tlsdb.Relay(tree.port)
        target = "eco@127.0.0.1:%d" % relay.port
        rc, out, err = tree.client(ours, "tlsprobe", ["-p", cli, "-v", "-f", "-H",
                                                      "127.0.0.1,nutserver,1,1", "-u", "monuser",
                                                      "-P", "secret", target])
        t.ok(rc == 0 and "ssl=1" in out and "login: OK" in out and "status=OL" in out,
             NAMES[13], out + err)
        rec = relay.sessions[-1] if relay.sessions else {"c2s": b"", "s2c": b""}
        t.ok(tls_only(rec) and b"secret" not in rec["c2s"], NAMES[14], repr(rec["c2s"][:80]))
        rc, out, err = tree.client(ours, "tlsprobe", ["-p", cli, "-v", target])
        t.ok(rc == 2 and "DOMAIN" in out, NAMES[15], out + err)
    finally:
        if relay:
            relay.close()
        tree.cleanup()


def run():
    t = peer.Tap()
    real, ours = peer.real_impl(), peer.our_impl()
    ours.paths["tlsprobe"] = tlsprobe()
    missing = real.missing("upsd", "upsc", "dummy-ups") + ours.missing("upsd", "upsc", "dummy-ups",
                                                                      "tlsprobe")
    if missing or not tlsdb.have_tools():
        t.ok(False, "programs and certutil available", "missing: %s" % missing)
        return t.done()
    base = tempfile.mkdtemp(prefix="interop-tls-")
    os.chmod(base, 0o755)
    try:
        try:
            guide, _ = tlsdb.guide_db(os.path.join(base, "guide"), DBPASS)
            pki = tlsdb.Pki(os.path.join(base, "pki"), PKIPASS)
            cli = pki.client_db("cli")
        except RuntimeError as e:
            t.ok(False, NAMES[0], e)
            return t.done()
        t.ok(True, NAMES[0])
        real_upsc_to_ours(t, real, ours, guide)
        real_upsmon_to_ours(t, real, ours, pki, cli)
        ours_to_real_upsd(t, real, ours, guide)
        probe_real_upsd(t, real, ours, pki, cli)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    peer.main_guard(run, NAMES)
