#!/usr/bin/env python3
"""The same requests, byte for byte, to two upsd servers on their own free loopback ports:
the reference (Debian's NUT 2.8.0 upsd) and the candidate (our upsd), each fed by its own
reference dummy-ups on tests/data/ellipse-eco-1200.dev, with the same upsd.users (admin with
SET/FSD/all instcmds/upsmon master, nobody without rights, monuser upsmon slave).

Replies must be identical. Replies to VER-like requests (VER, GET VAR <ups> server.info /
server.version) only have to look like a NUT banner. One TAP line per request; on a mismatch both
replies are printed as diagnostics. A reply is what arrived until the reply looked complete plus a
short quiet period (or 1.5 s of silence), with "[closed]" appended when the server closed.

    NUTREF=/path/to/nutref BUILDDIR=/path/to/build python3 tests/interop/test_transcript.py
    ... test_transcript.py --baseline    # reference upsd on both sides (checks the harness)
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402

U = peer.UPS
QUIET = 1.5       # silence that ends a reply which has not started
SETTLE = 0.1      # extra wait after a reply looks complete
CLOSE_WAIT = 3.0  # how long to wait for the close after LOGOUT (upsd closes on its next pass)
MANY = b" a" * 38
LONG_WORD = b"A" * 10240


def s(conn, data, name=None, ver=False, close=False):
    """One step: send data on the named connection; compare the reply."""
    return {"conn": conn, "data": data, "name": name, "ver": ver, "close": close}


def sleep(secs):
    return {"sleep": secs}


def b(text):
    return text.replace("@U", U).encode() + b"\n"


def anon_steps():
    """Read-only and malformed requests on one connection without authentication."""
    reqs = ["VER", "NETVER", "PROTVER", "HELP", "VER extra", "NETVER extra", "HELP extra",
            "LIST UPS", "LIST VAR @U", "LIST RW @U", "LIST CMD @U", "LIST ENUM @U ups.status",
            "LIST RANGE @U input.transfer.low", "LIST CLIENT @U",
            "GET VAR @U battery.charge", "GET VAR @U ups.status", "GET TYPE @U battery.charge",
            "GET TYPE @U ups.model", "GET DESC @U battery.charge", "GET DESC @U device.mfr",
            "GET CMDDESC @U load.off", "GET UPSDESC @U", "GET NUMLOGINS @U",
            "GET VAR nosuchups battery.charge", "GET VAR @U no.such.var", "GET VAR @U",
            "GET VAR", "GET", "GET FOO @U", "GET TYPE nosuchups ups.load",
            "GET TYPE @U no.such.var", "GET DESC @U", "GET DESC nosuchups ups.load",
            "GET CMDDESC @U no.such.cmd", "GET CMDDESC nosuchups load.off", "GET UPSDESC nosuchups",
            "GET UPSDESC", "GET NUMLOGINS nosuchups", "GET NUMLOGINS",
            "GET VAR @U battery.charge extra", "GET VAR @U server.no.such",
            "LIST", "LIST VAR", "LIST VAR nosuchups", "LIST FOO", "LIST RW nosuchups",
            "LIST CMD nosuchups", "LIST ENUM @U", "LIST ENUM @U no.such.var",
            "LIST RANGE nosuchups ups.load", "LIST CLIENT nosuchups", "LIST UPS extra",
            "FOO", "", "   \t ", "get var @U battery.charge", "Get Var @U battery.charge",
            "GET VAR ECO BATTERY.CHARGE", "list var ECO", "list rw @U",
            "GET VAR @U battery.charge # comment", "# hello", "GET VAR @U battery\\.charge",
            'GET VAR "@U" "battery.charge"', "GET TRACKING", "GET TRACKING 11111111-2222-3333-4444-555555555555",
            "SET VAR @U ups.load 42", "SET TRACKING ON", "INSTCMD @U load.off", "LOGIN @U",
            "MASTER @U", "PRIMARY @U", "FSD @U", "USERNAME", "PASSWORD", "STARTTLS", "VER"]
    steps = [s("anon", b(r), ver=r.upper().startswith("VER") and r != "VER extra") for r in reqs]
    steps += [s("anon", b"GET VAR %s battery.charge%s\n" % (U.encode(), MANY), "GET VAR 40 words"),
              s("anon", b"VER\r\n", ver=True), s("anon", b("GET VAR @U battery.charge\r")),
              s("anon", b"VER\x00\n", ver=True), s("anon", b("GET VAR @U battery\x00.charge")),
              s("anon", b"GET VAR " + U.encode() + b" battery.charge\xff\xfe\n"),
              s("anon", LONG_WORD + b"\n", "10 KiB word"),
              s("anon", b("GET VAR @U ") [:-1] + b"x" * 10240 + b"\n", "GET VAR with 10 KiB name"),
              s("anon", b("GET VAR @U battery.charge") [:-1] + b"x" * 10240 + b"\n",
                "GET VAR battery.charge + 10 KiB"),
              s("anon", b("NETVER") + b("GET VAR @U battery.charge") + b("LIST CMD @U"),
                "pipelined NETVER + GET VAR + LIST CMD"),
              s("anon", b("LOGOUT"), close=True), s("anon", b("VER"), "VER after LOGOUT")]
    return steps


def quote_steps():
    """An unbalanced quote swallows the newline until the next quote."""
    return [s("quote", b('GET VAR "@U battery.charge')), s("quote", b("VER")),
            s("quote", b('"')), s("quote", b("NETVER"))]


def auth_steps():
    """USERNAME/PASSWORD rules, wrong passwords, users without rights, monuser login."""
    steps = [s("pwreq", b("USERNAME admin")), s("pwreq", b("SET VAR @U ups.load 42")),
             s("pwreq", b("LOGIN @U")), s("pwreq", b("SET TRACKING ON")),
             s("pwfirst", b("PASSWORD adminpass")), s("pwfirst", b("LOGIN @U")),
             s("pwfirst", b("USERNAME admin extra")), s("pwfirst", b("USERNAME admin")),
             s("pwfirst", b("SET VAR @U ups.load 18"))]
    for r in ["USERNAME nobody", "PASSWORD nopass", "USERNAME nobody", "PASSWORD nopass",
              "USERNAME admin", "SET VAR @U ups.load 42", "INSTCMD @U load.off", "FSD @U",
              "MASTER @U", "PRIMARY @U", "LOGIN @U", "SET TRACKING ON", "GET TRACKING",
              "SET VAR @U ups.load 42", "SET TRACKING OFF", "LOGOUT"]:
        steps.append(s("nobody", b(r), close=(r == "LOGOUT")))
    for r in ["USERNAME monuser", "PASSWORD wrong", "LOGIN @U", "SET VAR @U ups.load 42",
              "LOGIN nosuchups", "LOGIN"]:
        steps.append(s("wrongpw", b(r)))
    for r in ["USERNAME nosuchuser", "PASSWORD x", "LOGIN @U", "LOGIN nosuchups"]:
        steps.append(s("nouser", b(r)))
    for r in ["USERNAME monuser", "PASSWORD secret", "LOGIN", "LOGIN @U extra", "LOGIN @U",
              "GET NUMLOGINS @U", "LOGIN @U", "LOGIN nosuchups", "MASTER @U", "PRIMARY @U",
              "FSD @U", "SET VAR @U ups.load 42", "INSTCMD @U load.off", "USERNAME monuser",
              "PASSWORD secret"]:
        steps.append(s("monuser", b(r)))
    steps += [s("observer", b("LIST CLIENT @U")), s("observer", b("GET NUMLOGINS @U")),
              s("observer", b("list client ECO"))]
    return steps


def admin_steps():
    """SET VAR / INSTCMD / TRACKING / PRIMARY / FSD with rights (state changes: run last)."""
    st = [s("admin", b(r)) for r in ["USERNAME admin", "PASSWORD adminpass",
                                     "SET VAR @U ups.load 42", 'SET VAR @U ups.serial "ABC 123"']]
    st.append(sleep(2.5))
    st += [s("admin", b(r)) for r in [
        "GET VAR @U ups.load", "GET VAR @U ups.serial", "SET VAR @U ups.serial 000000000",
        "SET VAR @U no.such.var 1", "SET VAR @U ups.serial " + "X" * 40, "SET VAR @U driver.name foo",
        "SET VAR nosuchups ups.load 1", "SET VAR @U ups.load", "SET VAR @U", "SET VAR", "SET",
        "SET FOO @U", "SET VAR @U UPS.LOAD 19", "INSTCMD @U load.off", "INSTCMD @U beeper.toggle",
        "INSTCMD nosuchups load.off", "INSTCMD @U", "INSTCMD", "INSTCMD @U load.off 5",
        "INSTCMD @U LOAD.OFF", "GET TRACKING", "GET TRACKING 11111111-2222-3333-4444-555555555555",
        "SET TRACKING maybe", "SET TRACKING", "SET TRACKING ON", "GET TRACKING"]]
    st.append(s("admin", b("INSTCMD @U load.off"), "INSTCMD with tracking"))
    st.append(sleep(2.5))
    st.append(s("admin", b"GET TRACKING {id}\n", "GET TRACKING <instcmd id> after 2.5 s"))
    st.append(s("admin", b("SET VAR @U ups.load 18"), "SET VAR with tracking"))
    st.append(sleep(2.5))
    st.append(s("admin", b"GET TRACKING {id}\n", "GET TRACKING <set id> after 2.5 s"))
    st += [s("admin", b(r)) for r in [
        "GET TRACKING 11111111-2222-3333-4444-555555555555", "GET TRACKING not-an-id",
        "SET TRACKING off", "GET TRACKING", "GET VAR @U ups.load", "LOGIN @U", "LOGIN @U",
        "MASTER @U", "PRIMARY @U", "MASTER nosuchups", "PRIMARY", "GET NUMLOGINS @U"]]
    st += [s("observer", b("LIST CLIENT @U")), s("observer", b("GET NUMLOGINS @U"))]
    st += [s("admin", b(r)) for r in ["FSD nosuchups", "FSD", "FSD @U", "GET VAR @U ups.status"]]
    st += [s("observer", b("GET VAR @U ups.status")), s("observer", b("GET VAR @U ups.load")),
           s("admin", b("LOGOUT"), close=True), s("monuser", b("LOGOUT"), close=True)]
    st.append(sleep(1.0))
    st += [s("observer", b("GET NUMLOGINS @U")), s("observer", b("LIST CLIENT @U"))]
    return st


STEPS = anon_steps() + quote_steps() + auth_steps() + admin_steps()


def escape(data, limit=70):
    text = repr(data)[2:-1].replace("#", "\\x23")
    return text if len(text) <= limit else text[:limit] + "...(%d bytes)" % len(data)


def step_name(st):
    return "%s: %s" % (st["conn"], st["name"] or escape(st["data"]))


def complete(buf):
    """True when buf holds whole lines and no open BEGIN LIST block."""
    if not buf.endswith(b"\n"):
        return False
    lines = buf.split(b"\n")[:-1]
    depth = 0
    for ln in lines:
        if ln.startswith(b"BEGIN LIST"):
            depth += 1
        elif ln.startswith(b"END LIST"):
            depth -= 1
    return depth <= 0


class Side:
    """One server under test: its connections and the last tracking id each connection saw."""

    def __init__(self, tree):
        self.tree = tree
        self.conns = {}
        self.ids = {}

    def do(self, st):
        name = st["conn"]
        if name not in self.conns:
            self.conns[name] = peer.Conn(self.tree.port)
        c = self.conns[name]
        data = st["data"].replace(b"{id}", self.ids.get(name, b"none"))
        if c.closed:
            return b"[closed]"
        try:
            c.sock.sendall(data)
        except OSError:
            c.closed = True
            return b"[closed]"
        out = c.read_until(lambda buf: False if not buf else complete(buf), QUIET)
        while out and complete(out) and not c.closed:
            more = c.read_until(lambda buf: buf.endswith(b"\n") and complete(buf), SETTLE)
            if not more:
                break
            out += more
        if st["close"] and not c.closed:
            c.read_until(lambda buf: False, CLOSE_WAIT)
        m = re.match(rb"OK TRACKING (\S+)\n", out)
        if m:
            self.ids[name] = m.group(1)
        return out + (b"[closed]" if c.closed else b"")

    def close(self):
        for c in self.conns.values():
            c.close()


BANNER = re.compile(rb"^(VAR \S+ server\.(info|version) \")?Network UPS Tools upsd [^\n]*\n$|"
                    rb"^VAR \S+ server\.version \"[0-9][^\"\n]*\"\n$")


def same(st, ref, cand):
    if ref == cand:
        return True
    return st["ver"] and bool(BANNER.match(ref)) and bool(BANNER.match(cand))


def show(tap, ref, cand):
    tap.diag("ref:  " + escape(ref, 400))
    tap.diag("cand: " + escape(cand, 400))
    rl, cl = ref.split(b"\n"), cand.split(b"\n")
    if len(rl) > 3 or len(cl) > 3:
        only_r = [x for x in rl if x not in cl][:8]
        only_c = [x for x in cl if x not in rl][:8]
        for x in only_r:
            tap.diag("  only ref:  " + escape(x, 200))
        for x in only_c:
            tap.diag("  only cand: " + escape(x, 200))


def run():
    baseline = "--baseline" in sys.argv or os.environ.get("INTEROP_BASELINE") == "1"
    real = peer.real_impl()
    cand = real if baseline else peer.our_impl()
    names = [step_name(st) for st in STEPS if "sleep" not in st]
    tap = peer.Tap()
    if cand.missing("upsd") or real.missing("upsd", "dummy-ups"):
        tap.ok(False, "programs present", "missing: ours %s, real %s"
               % (cand.missing("upsd"), real.missing("upsd", "dummy-ups")))
        for n in names:
            tap.skip(n, "no candidate upsd")
        return tap.done()
    trees = [peer.Tree("tr-ref"), peer.Tree("tr-%s" % cand.name)]
    sides = []
    try:
        for tree, impl in zip(trees, (real, cand)):
            if not tree.start(real, impl):
                tap.ok(False, "%s upsd + real dummy-ups start" % impl.name, tree.diag())
                return tap.done()
            sides.append(Side(tree))
        tap.diag("reference upsd on port %d, candidate (%s) on port %d"
                 % (trees[0].port, cand.name, trees[1].port))
        differ = []
        for st in STEPS:
            if "sleep" in st:
                time.sleep(st["sleep"])
                continue
            ref, got = sides[0].do(st), sides[1].do(st)
            if not tap.ok(same(st, ref, got), step_name(st)):
                show(tap, ref, got)
                differ.append(step_name(st))
            elif os.environ.get("INTEROP_VERBOSE"):
                tap.diag("reply: " + escape(ref, 300))
            if ref != got and same(st, ref, got):
                tap.diag("banner differs (allowed): %s vs %s" % (escape(ref), escape(got)))
        probe = peer.Conn(trees[0].port)
        got = probe.request(b("GET VAR @U battery.charge"))
        probe.close()
        tap.ok(got == b'VAR %s battery.charge "100"\n' % U.encode(),
               "reference stack serves the .dev file", "got %r" % got)
        for tree in trees:
            alive = all(p.poll() is None for p in tree.procs.values())
            tap.ok(alive, "%s: upsd and driver still running" % os.path.basename(tree.dir),
                   tree.diag())
        if differ:
            tap.diag("%d requests differ: %s" % (len(differ), "; ".join(differ)))
    finally:
        for sd in sides:
            sd.close()
        for tree in trees:
            tree.cleanup()
    return tap.done()


if __name__ == "__main__":
    peer.main_guard(run, [step_name(st) for st in STEPS if "sleep" not in st]
                    + ["reference sanity", "ref alive", "cand alive"])
