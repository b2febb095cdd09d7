#!/usr/bin/env python3
"""Our dummy-ups against Debian's NUT 2.8.0 dummy-ups on the same .dev file:
the DUMPALL answers, the -d 1 dumps and a socket session (PING, SET,
INSTCMD with TRACKING) must be identical. Prints TAP; SKIP without NUTREF."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILDDIR", os.path.join(SRC, "build"))
NUTREF = os.environ.get("NUTREF", "")
DATA = os.path.join(SRC, "tests", "data", "ellipse-eco-1200.dev")
TESTS = ["DUMPALL identical", "-d 1 dump identical", "socket session identical"]
SESSION = ["PING", 'SET ups.load "42" TRACKING t1', 'SET foo.bar "x y" TRACKING t2',
           'SET ups.status "OB LB"', 'SET foo.bar ""', "INSTCMD load.off",
           "INSTCMD load.off 5 TRACKING t3", "BOGUS 1 2",
           'SET ups.mfr "a#b" TRACKING t4', "PING", "DUMPALL"]


def skip_all(reason):
    print("1..%d" % len(TESTS))
    for i, name in enumerate(TESTS, 1):
        print("ok %d - %s # SKIP %s" % (i, name, reason))
    return 0


def wait_for(path, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def talk(s, lines):
    out = b""
    for ln in lines:
        s.sendall(ln.encode() + b"\n")
        time.sleep(0.15)
    while not out.endswith(b"DUMPDONE\n"):
        try:
            data = s.recv(65536)
        except socket.timeout:
            out += b"<no DUMPDONE within the timeout>\n"
            break
        if not data:
            break
        out += data
    return out.decode().splitlines()


class Driver:
    def __init__(self, exe, conf, state, env_extra):
        self.state = state
        env = dict(os.environ, NUT_CONFPATH=conf, NUT_STATEPATH=state, NUT_ALTPIDPATH=state,
                   **env_extra)
        self.proc = subprocess.Popen([exe, "-a", "eco", "-F", "-u", "root"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
        path = os.path.join(state, "dummy-ups-eco")
        if not wait_for(path):
            raise RuntimeError("no socket from " + exe)
        time.sleep(0.5)
        # one connection for the whole test: NUT 2.8.0 drivers in -F mode can
        # crash after a client disconnects (fd -1 left in their select set)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)   # generous: CI machines are loaded
        self.sock.connect(path)

    def stop(self):
        self.sock.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def report(n, name, a, b):
    if a == b:
        print("ok %d - %s" % (n, name))
        return True
    print("not ok %d - %s" % (n, name))
    for x in sorted(set(a) ^ set(b))[:20]:
        print("#  %s %s" % ("ref:" if x in a else "ours:", x))
    return False


def main():
    ref = os.path.join(NUTREF, "lib", "nut", "dummy-ups") if NUTREF else ""
    ours = os.path.join(BUILD, "dummy-ups")
    if not ref or not os.access(ref, os.X_OK):
        return skip_all("NUTREF not set or has no lib/nut/dummy-ups")
    if os.geteuid() != 0:
        return skip_all("the reference driver needs -u root")
    tmp = tempfile.mkdtemp(prefix="drvinterop-")
    os.chmod(tmp, 0o755)
    conf = os.path.join(tmp, "conf")
    os.mkdir(conf)
    shutil.copy(DATA, os.path.join(conf, "eco.dev"))
    with open(os.path.join(conf, "ups.conf"), "w") as f:
        f.write('[eco]\n\tdriver = dummy-ups\n\tport = eco.dev\n\tdesc = "interop"\n')
    refenv = {"LD_LIBRARY_PATH": os.path.join(NUTREF, "lib", "x86_64-linux-gnu")}
    ok = True
    print("1..%d" % len(TESTS))
    drivers = []
    try:
        for name, exe, env in (("ref", ref, refenv), ("ours", ours, {})):
            st = os.path.join(tmp, "state-" + name)
            os.mkdir(st)
            os.chmod(st, 0o755)
            drivers.append(Driver(exe, conf, st, env))
        dumps = [talk(d.sock, ["DUMPALL"]) for d in drivers]
        ok &= report(1, TESTS[0], dumps[0], dumps[1])
        outs = []
        for exe, env in ((ref, refenv), (ours, {})):
            r = subprocess.run([exe, "-a", "eco", "-d", "1", "-u", "root"], timeout=30,
                               env=dict(os.environ, NUT_CONFPATH=conf, NUT_STATEPATH=tmp, **env),
                               capture_output=True, text=True)
            outs.append(r.stdout.splitlines())
        ok &= report(2, TESTS[1], outs[0], outs[1])
        sess = [talk(d.sock, SESSION) for d in drivers]
        ok &= report(3, TESTS[2], sess[0], sess[1])
    finally:
        for d in drivers:
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
