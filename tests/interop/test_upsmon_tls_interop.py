#!/usr/bin/env python3
"""Our upsmon over TLS to Debian's real upsd 2.8.0 (NSS build, $NUTREF), same databases.

 guide   Debian's upsd with the setup guide's database: as built, its self-signed "nut"
         certificate is refused under CERTVERIFY 1 by our upsmon and by Debian's upsmon
         alike; once marked as a trusted peer (certutil -M -t "P,,") both accept it.
         Our secondary, then our primary (CERTPATH, CERTIDENT, CERTVERIFY 1, FORCESSL 1,
         CERTHOST) log in over TLS (Debian's upsd logs "(SSL)"), get ONBATT / ONLINE, and
         run a whole power failure (OB LB -> FSD -> secondary, then primary shut down);
         a recording relay saw STARTTLS, then TLS records only, no user name or password
 pki     Debian's upsd with a CA-signed certificate: CERTHOST with its name is served, a
         wrong name and an untrusted CA are refused (no login, no shutdown, no plaintext)
 plain   Debian's upsd without TLS: FORCESSL 1 refuses to talk plaintext
Databases are made at run time with certutil (tests/integration/tlsdb.py). Prints TAP;
every test SKIPs without $NUTREF.
"""
import os
import re
import shutil
import signal
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from upsmon_common import (Tap, Upsmon, binary, nutref, read, ref_binary,  # noqa: E402
                           wait_for)
import tlsdb  # noqa: E402
import test_upsmon_tls as T  # noqa: E402

KEEP = bool(os.environ.get("KEEP_TMP"))
DBPASS = T.DBPASS
PKIPASS = T.PKIPASS
MAGIC = T.MAGIC

NAMES = [
    "databases built with certutil",
    "Debian's upsd serves TLS with the guide's database",
    "guide as built, CERTVERIFY 1: our upsmon refuses the certificate",
    "guide as built, CERTVERIFY 1: Debian's upsmon refuses it too",
    "trusted peer: Debian's upsmon accepts it (CERTHOST with its CN)",
    "our secondary logs into Debian's upsd over TLS",
    "our primary logs in over TLS too (NUMLOGINS 2)",
    "ONBATT and ONLINE through the TLS sessions",
    "power failure: the primary sets FSD on Debian's upsd",
    "power failure: secondary, then primary run SHUTDOWNCMD",
    "power failure: POWERDOWNFLAG written, both exit 0",
    "relay: STARTTLS, then TLS records only, no credentials in clear",
    "Debian's upsd serves TLS with a CA-signed certificate",
    "pki: CERTHOST with the certificate's name: logged in over TLS, ONBATT",
    "pki: wrong CERTHOST name refused",
    "pki: untrusted CA refused",
    "pki: refused ones: no login, no shutdown, nothing in clear",
    "plain: FORCESSL 1 vs Debian's upsd without TLS: refused",
    "plain: nothing but STARTTLS (and LOGOUT) on the wire, no shutdown",
]


class Names:
    """tap.ok / skip by position in NAMES, so the SKIP plan and the real one agree."""

    def __init__(self, tap):
        self.tap = tap
        self.i = 0

    def ok(self, cond, diag=None):
        self.i += 1
        return self.tap.ok(cond, NAMES[self.i - 1], diag)

    def skip(self, why, n=1):
        for _ in range(n):
            self.i += 1
            self.tap.skip(NAMES[self.i - 1], why)


def ref_upsmon_ok():
    if not os.access(ref_binary("upsmon") or "", os.X_OK):
        return "no lib/nut/upsmon in $NUTREF"
    if os.path.isdir("/run/nut"):
        return "/run/nut exists: Debian's upsmon would write its PID file there"
    return None


def ref_upsmon(st, tag, mon, extra, started):
    m = Upsmon(st, tag, [mon], extra=extra, impl="ref")
    m.start()
    started.append(m)
    return m


def child_pids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return []


def stop_ref(m):
    """Debian's upsmon child outlives a SIGTERM to its parent (and keeps its login):
    stop the child (by PID, only when it runs that binary), then the parent."""
    if not m.proc or m.proc.poll() is not None:
        return
    for pid in child_pids(m.proc.pid):
        try:
            if os.readlink("/proc/%d/exe" % pid) == os.path.realpath(m.exe()):
                os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    m.wait_exit(10)
    m.stop()


def test_guide(n, base, db):
    st = T.tls_stack("tlsio-guide", T.upsd_tls(db, DBPASS), server="ref")
    relay = None
    refs = []
    try:
        try:
            st.start()
            n.ok(True)
        except RuntimeError as e:
            n.ok(False, "%s\n%s" % (e, T.diag(st)))
            n.skip("Debian's upsd did not start", len(NAMES[2:12]))
            return
        relay = tlsdb.Relay(st.port)
        sysn = T.sysname(relay.port)
        conf = T.mon_tls(db, ("nut", DBPASS), 1, 1, [("127.0.0.1", "CA_nut", 1, 1)])
        og = Upsmon(st, "og", ["%s 1 monuser secret secondary" % sysn], extra=conf)
        og.start()
        why = ref_upsmon_ok()
        rg = None
        if why is None:
            # straight to upsd: after a failed handshake Debian's upsmon sends LOGOUT in clear
            rg = ref_upsmon(st, "rg", "%s 1 monuser secret slave" % T.sysname(st.port), conf,
                            refs)
        n.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*CA_CERT_INVALID",
                                        og.log(50)), 20) and T.refused_quietly(og, 2)
             and st.numlogins() == 0, T.diag(st, og))
        og.stop()
        if rg:
            n.ok(wait_for(lambda: "Certificate validation failed" in rg.log(50), 20)
                 and st.numlogins() == 0 and not rg.shut_down(), T.diag(st, rg))
            stop_ref(rg)
        else:
            n.skip(why)
        tlsdb._run(["certutil", "-M", "-d", db, "-n", "nut", "-t", "P,,",
                    "-f", os.path.join(base, "guide", "pw")])
        if why is None:
            rg = ref_upsmon(st, "rg2", "%s 1 monuser secret slave" % T.sysname(st.port), conf,
                            refs)
            n.ok(wait_for(lambda: "Connected to NUT server 127.0.0.1 in SSL" in rg.log(50)
                          and st.numlogins() == 1, 20), T.diag(st, rg))
            stop_ref(rg)
            wait_for(lambda: st.numlogins() == 0, 10)
        else:
            n.skip(why)

        sets = {"HOSTSYNC": 30, "FINALDELAY": 1}
        s = Upsmon(st, "s", ["%s 1 monuser secret secondary" % sysn], extra=conf, settings=sets)
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysn], extra=conf, settings=sets)
        s.start()
        n.ok(wait_for(lambda: st.numlogins() == 1 and
                      "User monuser@127.0.0.1 logged into UPS [ups] (SSL)" in T.upsd_log(st), 20),
             T.diag(st, s))
        p.start()
        n.ok(wait_for(lambda: st.numlogins() == 2 and
                      "User admin@127.0.0.1 logged into UPS [ups] (SSL)" in T.upsd_log(st), 20),
             T.diag(st, p))
        st.set_status("OB DISCHRG")
        ok = p.wait_event("ONBATT", 15) and s.wait_event("ONBATT", 15)
        st.set_status("OL CHRG")
        ok = ok and p.wait_event("ONLINE", 15) and s.wait_event("ONLINE", 15)
        n.ok(ok and p.types() == ["ONBATT", "ONLINE"] and s.types() == ["ONBATT", "ONLINE"],
             T.diag(st, p, s))
        st.set_status("OB DISCHRG")
        p.wait_event("ONBATT", 15, 2)
        s.wait_event("ONBATT", 15, 2)
        st.set_status("OB LB", wait=False)
        n.ok(wait_for(lambda: (st.status() or "").startswith("FSD"), 20), T.diag(st, p))
        done = wait_for(lambda: s.shut_down() and p.shut_down(), 30)
        n.ok(done and s.marker_time() < p.marker_time() and
             "Host sync timer expired" not in p.log(1000), T.diag(st, p, s))
        n.ok(read(p.pdflag) == MAGIC and p.wait_exit(15) == 0 and s.wait_exit(15) == 0,
             T.diag(st, p, s))
        recs = T.sessions(relay)
        n.ok(len(recs) >= 3 and all(T.tls_session(r) and T.no_credentials(r) for r in recs),
             T.show(recs))
    finally:
        for m in refs:
            stop_ref(m)
        if relay:
            relay.close()
        st.cleanup(KEEP)


def test_pki(n, pki, cli, other):
    st = T.tls_stack("tlsio-pki", T.upsd_tls(pki.server, PKIPASS), server="ref")
    relay = None
    try:
        try:
            st.start()
            n.ok(True)
        except RuntimeError as e:
            n.ok(False, "%s\n%s" % (e, T.diag(st)))
            n.skip("Debian's upsd did not start", 4)
            return
        relay = tlsdb.Relay(st.port)
        good = Upsmon(st, "good", ["%s 1 monuser secret secondary" % T.sysname(st.port)],
                      extra=T.mon_tls(cli, None, 1, 1, [("127.0.0.1", "nutserver", 1, 1)]))
        name = Upsmon(st, "name", ["%s 1 monuser secret secondary" % T.sysname(relay.port)],
                      extra=T.mon_tls(cli, None, 1, 1, [("127.0.0.1", "otherhost", 1, 1)]))
        ca = Upsmon(st, "ca", ["%s 1 monuser secret secondary" % T.sysname(relay.port)],
                    extra=T.mon_tls(other, None, 1, 1, [("127.0.0.1", "nutserver", 1, 1)]))
        for m in (good, name, ca):
            m.start()
        ok = wait_for(lambda: "User monuser@127.0.0.1 logged into UPS [ups] (SSL)"
                      in T.upsd_log(st), 20)
        st.set_status("OB DISCHRG")
        n.ok(ok and good.wait_event("ONBATT", 15), T.diag(st, good))
        n.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*DOMAIN", name.log(50)), 20),
             T.diag(st, name))
        n.ok(wait_for(lambda: re.search(r"connect failed: SSL error: .*(ISSUER|UNTRUSTED)",
                                        ca.log(50)), 20), T.diag(st, ca))
        recs = T.sessions(relay)
        n.ok(T.refused_quietly(name) and T.refused_quietly(ca, 2) and st.numlogins() == 1 and
             recs and all(T.tls_session(r) and T.no_credentials(r) for r in recs),
             T.diag(st, name, ca) + "\n" + T.show(recs))
        st.set_status("OL")
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)


def test_plain(n, db):
    st = T.tls_stack("tlsio-plain", server="ref")
    relay = None
    try:
        st.start()
        relay = tlsdb.Relay(st.port)
        f = Upsmon(st, "f", ["%s 1 monuser secret secondary" % T.sysname(relay.port)],
                   extra=T.mon_tls(db, ("nut", DBPASS), 0, 1))
        f.start()
        n.ok(wait_for(lambda: re.search(r"FORCESSL is set for this server but no TLS session "
                                        r"could be set up \(.*\): refusing to talk plaintext",
                                        f.log(50)), 20), T.diag(st, f))
        words = set()
        quiet = T.refused_quietly(f)
        for r in T.sessions(relay):
            words.update(r["c2s"].decode(errors="replace").split())
        n.ok(quiet and words and words <= {"STARTTLS", "LOGOUT"} and st.numlogins() == 0,
             "%s\n%s" % (sorted(words), T.diag(st, f)))
    except RuntimeError as e:
        n.ok(False, "%s\n%s" % (e, T.diag(st)))
        n.skip("Debian's upsd did not start")
    finally:
        if relay:
            relay.close()
        st.cleanup(KEEP)


def main():
    tap = Tap()
    n = Names(tap)
    if nutref() is None:
        n.skip("no reference NUT ($NUTREF)", len(NAMES))
        return tap.done()
    missing = [b for b in ("upsmon", "upsd", "dummy-ups") if binary(b) is None]
    missing += [b for b in ("upsd", "dummy-ups") if not os.access(ref_binary(b) or "", os.X_OK)]
    if missing or not tlsdb.have_tools():
        tap.ok(False, "programs and certutil available", "missing: %s" % missing)
        return tap.done()
    base = tempfile.mkdtemp(prefix="interop-upsmon-tls-")
    os.chmod(base, 0o755)
    try:
        try:
            db, _ = tlsdb.guide_db(os.path.join(base, "guide"), DBPASS)
            pki = tlsdb.Pki(os.path.join(base, "pki"), PKIPASS)
            cli = pki.client_db("cli")
            other = pki.foreign_client_db("other")
            T.give_to_child(base)
            n.ok(True)
        except RuntimeError as e:
            n.ok(False, e)
            return tap.done()
        test_guide(n, base, db)
        test_pki(n, pki, cli, other)
        test_plain(n, db)
    finally:
        if not KEEP:
            shutil.rmtree(base, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
