#!/usr/bin/env python3
"""dummy-ups on its driver socket: DUMPALL, PING, SET/INSTCMD with TRACKING,
broadcasts to several clients, a stuck client, and clean exit on SIGTERM.
Prints TAP. Needs BUILDDIR (default <repo>/build) with dummy-ups built."""
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
DATA = os.path.join(SRC, "tests", "data", "ellipse-eco-1200.dev")

results = []


def check(name, cond, detail=""):
    results.append(cond)
    n = len(results)
    print(("ok %d - %s" % (n, name)) if cond else ("not ok %d - %s %s" % (n, name, detail)))
    sys.stdout.flush()


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.buf = b""

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode()

    def until(self, pred):
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if pred(ln):
                return lines

    def dumpall(self):
        self.send("DUMPALL")
        return self.until(lambda l: l == "DUMPDONE")


def wait_for(path, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def main():
    exe = os.path.join(BUILD, "dummy-ups")
    if not os.access(exe, os.X_OK):
        print("1..1\nnot ok 1 - dummy-ups binary missing in %s" % BUILD)
        return 1
    tmp = tempfile.mkdtemp(prefix="drvtest-")
    conf, state = os.path.join(tmp, "conf"), os.path.join(tmp, "state")
    os.mkdir(conf)
    os.mkdir(state)
    shutil.copy(DATA, os.path.join(conf, "eco.dev"))
    with open(os.path.join(conf, "ups.conf"), "w") as f:
        f.write('[eco]\n\tdriver = dummy-ups\n\tport = eco.dev\n\tdesc = "x"\n'
                '\toverride.battery.charge.low = 33\n')
        f.write('[wrong]\n\tdriver = usbhid-ups\n\tport = auto\n')
        f.write('[seq]\n\tdriver = dummy-ups\n\tport = t.seq\n\tpollinterval = 1\n')
    with open(os.path.join(conf, "t.seq"), "w") as f:
        f.write("ups.status: OL\nTIMER 1\nups.status: OB DISCHRG\nTIMER 1\n")
    env = dict(os.environ, NUT_CONFPATH=conf, NUT_STATEPATH=state, NUT_ALTPIDPATH=state)
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    print("1..20")

    r = subprocess.run([exe, "-a", "wrong", "-F", "-u", user], env=env,
                       capture_output=True, text=True, timeout=10)
    check("refuses a section for another driver", r.returncode != 0 and
          "is for driver usbhid-ups" in r.stderr, r.stderr)

    proc = subprocess.Popen([exe, "-a", "eco", "-F", "-u", user], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = os.path.join(state, "dummy-ups-eco")
    try:
        check("socket created", wait_for(sock))
        check("socket mode 0660", (os.stat(sock).st_mode & 0o777) == 0o660)
        check("no pid file in -F mode", not os.path.exists(sock + ".pid"))
        a, b = Conn(sock), Conn(sock)
        dump = a.dumpall()
        check("DUMPALL ends with DATAOK DUMPDONE", dump[-2:] == ["DATAOK", "DUMPDONE"], dump[-3:])
        check("file value published", 'SETINFO ups.model "Ellipse ECO 1200"' in dump)
        check("RW STRING flags and aux", "SETAUX ups.mfr 32" in dump and
              "SETFLAGS ups.mfr RW STRING" in dump and "SETFLAGS ups.load RW" in dump)
        check("driver.* from the core", 'SETINFO driver.name "dummy-ups"' in dump and
              'SETINFO driver.version "2.8.0"' in dump and
              'SETINFO driver.parameter.mode "dummy-once"' in dump and
              'SETINFO driver.parameter.pollinterval "2"' in dump)
        check("override is immutable", 'SETINFO battery.charge.low "33"' in dump, dump)
        check("ADDCMD load.off", "ADDCMD load.off" in dump)
        b.dumpall()
        a.send("PING")
        check("PING -> PONG", a.until(lambda l: l == "PONG")[-1] == "PONG")
        a.send('SET ups.load "42" TRACKING abc-1')
        got = a.until(lambda l: l.startswith("TRACKING"))
        check("SET with TRACKING -> 0", got[-1] == "TRACKING abc-1 0", got)
        bl = b.until(lambda l: l.startswith("SETINFO ups.load"))
        check("SET broadcast to other client", bl[-1] == 'SETINFO ups.load "42"', bl)
        a.send("INSTCMD load.off TRACKING id-2")
        got = a.until(lambda l: l.startswith("TRACKING"))
        check("INSTCMD unknown -> 1", got[-1] == "TRACKING id-2 1", got)
        # a client that never reads must not block the driver
        stuck = Conn(sock)
        for _ in range(2000):
            try:
                stuck.s.setblocking(False)
                stuck.send("DUMPALL")
            except (BlockingIOError, OSError):
                break
        a.send("PING")
        check("driver still answers with a stuck client",
              a.until(lambda l: l == "PONG")[-1] == "PONG")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    check("SIGTERM: exit and socket removed", proc.returncode == 0 and not os.path.exists(sock),
          "rc=%s" % proc.returncode)
    seq_and_background(exe, env, user, state)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) else 1


def seq_and_background(exe, env, user, state):
    """.seq file with TIMER lines, in the default (background) mode with a PID file."""
    r = subprocess.run([exe, "-a", "seq", "-u", user], env=env, timeout=20,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = os.path.join(state, "dummy-ups-seq")
    pidf = sock + ".pid"
    check("background start returns 0 and writes the PID file",
          r.returncode == 0 and wait_for(sock) and wait_for(pidf))
    try:
        pid = int(open(pidf).read().strip())
    except (OSError, ValueError):
        pid = 0
    seen = []
    try:
        c = Conn(sock)
        c.dumpall()
        end = time.time() + 10
        while time.time() < end and len(set(seen)) < 2:
            ln = c.line()
            if ln.startswith("SETINFO ups.status"):
                seen.append(ln)
    except (OSError, EOFError):
        pass
    check("TIMER sequence plays OB DISCHRG", 'SETINFO ups.status "OB DISCHRG"' in seen, seen)
    check("sequence loops back to OL", 'SETINFO ups.status "OL"' in seen, seen)
    if pid > 0:
        os.kill(pid, signal.SIGTERM)
    end = time.time() + 10
    while time.time() < end and (os.path.exists(sock) or os.path.exists(pidf)):
        time.sleep(0.1)
    check("SIGTERM removes socket and PID file", pid > 0 and not os.path.exists(sock)
          and not os.path.exists(pidf))


if __name__ == "__main__":
    sys.exit(main())
