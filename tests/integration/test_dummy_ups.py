#!/usr/bin/env python3
"""dummy-ups on its driver socket: DUMPALL, PING, SET/INSTCMD with TRACKING,
broadcasts to several clients, a stuck client, and clean exit on SIGTERM.
Then the definition files as NUT plays them: mode = dummy-once (a .seq
played to its end once, SET values kept, the file re-read when it changes)
and dummy-loop (a .dev replayed, so a SET value is overwritten), the
driver.parameter.mode each choice publishes, TIMER pauses of at least the
given time, and the -q / -g / -r flags (socket group, chroot).
Prints TAP. Needs BUILDDIR (default <repo>/build) with dummy-ups built."""
import grp
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
        f.write(MODE_SECTIONS)
    with open(os.path.join(conf, "t.seq"), "w") as f:
        f.write("ups.status: OL\nTIMER 1\nups.status: OB DISCHRG\nTIMER 1\n")
    for name, text in MODE_FILES.items():
        with open(os.path.join(conf, name), "w") as f:
            f.write(text)
    env = dict(os.environ, NUT_CONFPATH=conf, NUT_STATEPATH=state, NUT_ALTPIDPATH=state)
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()

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
    modes(exe, env, user, conf, state)
    flags(exe, env, user, tmp, conf, state)
    shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


def seq_and_background(exe, env, user, state):
    """.seq file with TIMER lines, in the default (background) mode with a PID file."""
    r = subprocess.Popen([exe, "-a", "seq", "-u", user], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rc = r.wait(timeout=20)
    sock = os.path.join(state, "dummy-ups-seq")
    pidf = sock + ".pid"
    # the file first holds the pid of the process that forks, then the daemon's own
    pid = 0
    end = time.time() + 10
    while time.time() < end and wait_for(sock) and wait_for(pidf):
        try:
            pid = int(open(pidf).read().strip())
        except (OSError, ValueError):
            pid = 0
        if pid > 0 and pid != r.pid and os.path.exists("/proc/%d" % pid):
            break
        pid = 0
        time.sleep(0.05)
    check("background start returns 0 and writes the PID file", rc == 0 and pid > 0)
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
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    end = time.time() + 10
    while time.time() < end and (os.path.exists(sock) or os.path.exists(pidf)):
        time.sleep(0.1)
    check("SIGTERM removes socket and PID file", pid > 0 and not os.path.exists(sock)
          and not os.path.exists(pidf))


# ---------------------------------------------------------------- modes, TIMER, flags

MODE_SECTIONS = (
    "[once]\n\tdriver = dummy-ups\n\tport = once.seq\n\tmode = dummy-once\n\tpollinterval = 1\n"
    "[loop]\n\tdriver = dummy-ups\n\tport = loop.dev\n\tmode = dummy-loop\n\tpollinterval = 1\n"
    "[dev]\n\tdriver = dummy-ups\n\tport = loop.dev\n\tpollinterval = 1\n"
    "[plain]\n\tdriver = dummy-ups\n\tport = plain.txt\n"
    "[dummy]\n\tdriver = dummy-ups\n\tport = plain.txt\n\tmode = dummy\n"
    "[timer]\n\tdriver = dummy-ups\n\tport = timer.seq\n\tpollinterval = 1\n")
MODE_FILES = {
    "once.seq": "ups.status: OL\nbattery.charge: 100\nTIMER 1\n"
                "ups.status: OB\nbattery.charge: 50\n",
    "loop.dev": "ups.status: OL\nbattery.charge: 100\n",
    "plain.txt": "ups.status: OL\n",
    "timer.seq": "ups.status: OL\nTIMER 3\nups.status: OB\nTIMER 3\n",
}


def setinfo(line):
    """(name, value) of a SETINFO line, else None."""
    if not line.startswith("SETINFO "):
        return None
    parts = line.split(" ", 2)
    if len(parts) < 3:
        return None
    return parts[1], parts[2].strip('"').replace('\\"', '"').replace("\\\\", "\\")


class Driver:
    """A foreground dummy-ups for one section and a client on its socket."""

    def __init__(self, exe, env, user, state, ups, extra=()):
        self.sock = os.path.join(state, "dummy-ups-" + ups)
        self.proc = subprocess.Popen([exe, "-a", ups, "-F", "-u", user] + list(extra), env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.conn = None
        self.vals = {}
        if wait_for(self.sock, 15):
            try:
                self.conn = Conn(self.sock)
                self.absorb(self.conn.dumpall())
            except (OSError, EOFError):
                self.conn = None

    def absorb(self, lines):
        for ln in lines:
            kv = setinfo(ln)
            if kv:
                self.vals[kv[0]] = kv[1]

    def watch(self, pred, timeout):
        """Read broadcasts until pred(name, value) holds: (name, value, time) or None."""
        end = time.time() + timeout
        while self.conn and time.time() < end:
            self.conn.s.settimeout(max(0.1, end - time.time()))
            try:
                ln = self.conn.line()
            except (OSError, EOFError):
                return None
            kv = setinfo(ln)
            if kv:
                self.vals[kv[0]] = kv[1]
                if pred(*kv):
                    return kv[0], kv[1], time.time()
        return None

    def stop(self):
        if self.conn:
            self.conn.s.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.stderr.read().decode(errors="replace")


def dump_param(exe, env, user, ups):
    """driver.parameter.mode printed by dummy-ups -d 1 for a section."""
    r = subprocess.run([exe, "-a", ups, "-u", user, "-d", "1"], env=env, capture_output=True,
                       text=True, timeout=30)
    for ln in r.stdout.splitlines():
        if ln.startswith("driver.parameter.mode: "):
            return ln.split(": ", 1)[1]
    return "(none; rc %d) %s" % (r.returncode, r.stderr[-300:])


def modes(exe, env, user, conf, state):
    for ups, want in (("once", "dummy-once"), ("loop", "dummy-loop"), ("dev", "dummy-once"),
                      ("seq", "dummy-loop"), ("plain", "dummy"), ("dummy", "dummy-loop")):
        got = dump_param(exe, env, user, ups)
        check("driver.parameter.mode of [%s] is %s" % (ups, want), got == want, got)

    # dummy-once: the sequence is played to its end, once; a SET value then stays
    d = Driver(exe, env, user, state, "once")
    try:
        done = d.vals.get("ups.status") == "OB" or d.watch(lambda n, v: n == "ups.status"
                                                          and v == "OB", 20)
        check("dummy-once .seq: TIMER passed, the rest of the file played",
              done and (d.vals.get("battery.charge") == "50" or
                        d.watch(lambda n, v: n == "battery.charge" and v == "50", 10)), d.vals)
        d.conn.send('SET battery.charge "77"')
        back = d.watch(lambda n, v: (n, v) in (("ups.status", "OL"), ("battery.charge", "100")), 5)
        check("dummy-once .seq: not replayed, SET value kept",
              back is None and d.vals.get("battery.charge") == "77", (back, d.vals))
        # a changed file is read again (once)
        path = os.path.join(conf, "once.seq")
        with open(path, "w") as f:
            f.write("battery.charge: 42\n")
        st = os.stat(path)
        os.utime(path, (st.st_atime + 5, st.st_mtime + 5))
        check("dummy-once: a changed file is read again",
              d.watch(lambda n, v: n == "battery.charge" and v == "42", 15) is not None, d.vals)
    finally:
        d.stop()

    # dummy-loop: a .dev file is replayed, so a SET value does not last
    d = Driver(exe, env, user, state, "loop")
    try:
        d.conn.send('SET battery.charge "77"')
        seen = d.watch(lambda n, v: n == "battery.charge" and v == "77", 10)
        back = d.watch(lambda n, v: n == "battery.charge" and v == "100", 15)
        check("dummy-loop .dev: the file is replayed over a SET value", seen and back,
              (seen, back, d.vals))
    finally:
        d.stop()

    # TIMER n: the next line is played no sooner than n seconds (1 s clock, as NUT)
    d = Driver(exe, env, user, state, "timer")
    try:
        ol = d.watch(lambda n, v: n == "ups.status" and v == "OL", 20)
        ob = ol and d.watch(lambda n, v: n == "ups.status" and v == "OB", 20)
        check("TIMER 3 pauses the sequence (>= 2 s between OL and OB)",
              ol and ob and ob[2] - ol[2] >= 1.9, (ol, ob))
    finally:
        d.stop()


def other_group():
    """As root, a group that is neither ours nor nut (the socket's default for -u root)."""
    if os.geteuid() != 0:
        return None, None
    for name in ("daemon", "users", "adm", "nogroup", "staff"):
        try:
            gid = grp.getgrnam(name).gr_gid
        except KeyError:
            continue
        if name != "nut" and gid != os.getgid():
            return name, gid
    return None, None


def flags(exe, env, user, tmp, conf, state):
    d = Driver(exe, env, user, state, "dev", ["-q", "-q"])
    check("-q -q accepted", d.conn is not None and d.vals.get("ups.status") == "OL")
    d.stop()

    group, gid = other_group()
    if group is None:
        check("-g <group>: socket given to that group # SKIP needs root and a spare group", True)
    else:
        d = Driver(exe, env, user, state, "dev", ["-g", group])
        try:
            got = os.stat(d.sock).st_gid if d.conn else None
            check("-g %s: socket given to that group" % group, got == gid, got)
        finally:
            d.stop()

    if os.geteuid() != 0:
        check("-r <dir>: chroot # SKIP needs root", True)
        return
    # inside the chroot the same absolute paths lead to a copy with another model
    root = os.path.join(tmp, "chroot")
    inner_conf = root + conf
    inner_state = root + state
    os.makedirs(inner_conf)
    os.makedirs(inner_state)
    with open(os.path.join(inner_conf, "loop.dev"), "w") as f:
        f.write("ups.status: OL\nups.model: Chrooted\n")
    sock = inner_state + "/dummy-ups-dev"
    p = subprocess.Popen([exe, "-a", "dev", "-F", "-u", user, "-r", root], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        vals = {}
        if wait_for(sock, 15):
            c = Conn(sock)
            for ln in c.dumpall():
                kv = setinfo(ln)
                if kv:
                    vals[kv[0]] = kv[1]
            c.s.close()
        check("-r <dir>: the driver runs chrooted (file and socket inside)",
              vals.get("ups.model") == "Chrooted" and
              not os.path.exists(os.path.join(state, "dummy-ups-dev")), vals)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
