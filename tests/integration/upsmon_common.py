"""Shared helpers for the upsmon/upssched scenario tests.

A Stack is a private tree under /tmp (conf, state, pid and log dirs) with
our upsd and dummy-ups on a random loopback port; Upsmon instances run
against it with a NOTIFYCMD that appends "timestamp NOTIFYTYPE UPSNAME" to
a log and a SHUTDOWNCMD that writes a marker file. Binaries come from the
build dir: $BUILD_DIR, $top_builddir, or the current directory.
"""
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATADIR = os.path.join(SRCDIR, "tests", "data")


def build_dir():
    for cand in (os.environ.get("BUILD_DIR"), os.environ.get("top_builddir"),
                 os.environ.get("builddir"), os.getcwd()):
        if cand and os.path.exists(os.path.join(cand, "upsmon")):
            return os.path.abspath(cand)
    return None


def binary(name):
    b = build_dir()
    if b is None:
        return None
    for sub in ("", "drivers", "server", "monitor", "sched", "clients"):
        p = os.path.join(b, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


class Tap:
    """TAP output: one line per test, plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[-40:]:
                    print("#   " + line, flush=True)
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def free_port():
    for _ in range(50):
        port = random.randint(20000, 60000)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


def wait_for(pred, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def run_user():
    """An unprivileged account for upsmon's child (the split is part of the test)."""
    for name in ("nut", "nobody"):
        try:
            import pwd
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


NOTIFY_TYPES = ("ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD",
                "SHUTDOWN", "REPLBATT", "NOCOMM", "NOPARENT", "CAL")


def ref_dir():
    """Debian's NUT 2.8.0 unpacked (dpkg -x), see shared reference-peer notes."""
    d = os.environ.get("NUT_REF_DIR")
    if d and os.path.exists(os.path.join(d, "lib", "nut", "upsd")):
        return d
    return None


def ref_env(env):
    e = dict(env)
    e["LD_LIBRARY_PATH"] = os.path.join(ref_dir(), "lib", "x86_64-linux-gnu")
    return e


def server_binary(name, server):
    if server == "ref":
        return os.path.join(ref_dir(), "lib", "nut", name)
    return binary(name)


class Stack:
    """upsd + dummy-ups in a private tree; UPS names given in ups.

    server="ref" runs Debian's upsd and dummy-ups instead of ours
    (UPSMON_TEST_SERVER=ref selects it for every scenario)."""

    def __init__(self, tag, ups=("ups",), server=None):
        self.server = server or os.environ.get("UPSMON_TEST_SERVER", "ours")
        self.dir = tempfile.mkdtemp(prefix="upsmon-%s-" % tag)
        os.chmod(self.dir, 0o777)
        self.conf = self.mkdir("conf")
        self.state = self.mkdir("state", 0o777)
        self.logs = self.mkdir("logs", 0o777)
        self.port = free_port()
        self.ups = list(ups)
        self.procs = []
        self.upsd = None
        self.drivers = []
        self.env = dict(os.environ, NUT_CONFPATH=self.conf, NUT_STATEPATH=self.state,
                        NUT_ALTPIDPATH=self.state)
        self._write_server_conf()

    def server_env(self):
        return ref_env(self.env) if self.server == "ref" else self.env

    def mkdir(self, name, mode=0o755):
        p = os.path.join(self.dir, name)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        return p

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_server_conf(self):
        with open(os.path.join(self.conf, "ups.conf"), "w") as f:
            for u in self.ups:
                f.write('[%s]\n\tdriver = dummy-ups\n\tport = %s.dev\n\tdesc = "test %s"\n'
                        % (u, u, u))
                with open(os.path.join(self.conf, "%s.dev" % u), "w") as d:
                    d.write("ups.status: OL\nbattery.charge: 100\nups.mfr: Test\n"
                            "ups.model: Scenario\n")
        with open(os.path.join(self.conf, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\n" % self.port)
        with open(os.path.join(self.conf, "upsd.users"), "w") as f:
            f.write("[admin]\n\tpassword = adminpass\n\tactions = SET\n\tinstcmds = ALL\n"
                    "\tupsmon primary\n\n[monuser]\n\tpassword = secret\n\tupsmon secondary\n")
        for name in os.listdir(self.conf):
            os.chmod(os.path.join(self.conf, name), 0o644)

    def spawn(self, argv, logname, env=None):
        out = open(os.path.join(self.logs, logname), "ab")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                             env=env or self.env, preexec_fn=lambda: signal.signal(
                                 signal.SIGPIPE, signal.SIG_IGN))
        out.close()
        self.procs.append(p)
        return p

    def start(self):
        for u in self.ups:
            self.drivers.append(self.spawn([server_binary("dummy-ups", self.server), "-a", u,
                                            "-F", "-u", "root"], "driver-%s.log" % u,
                                           env=self.server_env()))
        for u in self.ups:
            sock = os.path.join(self.state, "dummy-ups-%s" % u)
            if not wait_for(lambda: os.path.exists(sock), 10):
                raise RuntimeError("driver %s did not create %s" % (u, sock))
        self.start_upsd()
        for u in self.ups:
            if not wait_for(lambda: self.status(u) is not None, 10):
                raise RuntimeError("upsd does not serve %s" % u)

    def start_upsd(self):
        self.upsd = self.spawn([server_binary("upsd", self.server), "-F", "-u", "root"],
                               "upsd.log", env=self.server_env())
        if not wait_for(self.listening, 10):
            raise RuntimeError("upsd not listening on %d" % self.port)

    def stop_upsd(self):
        if self.upsd and self.upsd.poll() is None:
            self.upsd.terminate()
            try:
                self.upsd.wait(5)
            except subprocess.TimeoutExpired:
                self.upsd.kill()
                self.upsd.wait()
        self.upsd = None

    def listening(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            s.close()
            return True
        except OSError:
            return False

    def session(self, lines, timeout=3):
        """Send lines on one connection; return the reply lines (one per request)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        f = s.makefile("rwb")
        replies = []
        try:
            for line in lines:
                f.write((line + "\n").encode())
                f.flush()
                replies.append(f.readline().decode().rstrip("\n"))
        finally:
            f.close()
            s.close()
        return replies

    def status(self, ups="ups"):
        try:
            r = self.session(["GET VAR %s ups.status" % ups])[0]
        except OSError:
            return None
        if not r.startswith("VAR "):
            return None
        return r.split('"')[1]

    def set_status(self, value, ups="ups", wait=True):
        r = self.session(["USERNAME admin", "PASSWORD adminpass",
                          'SET VAR %s ups.status "%s"' % (ups, value)])
        if not r[-1].startswith("OK"):
            raise RuntimeError("SET VAR refused: %s" % r)
        if wait and not wait_for(lambda: (self.status(ups) or "").endswith(value), 10):
            raise RuntimeError("status of %s never became %s (is %s)"
                               % (ups, value, self.status(ups)))

    def numlogins(self, ups="ups"):
        r = self.session(["GET NUMLOGINS %s" % ups])[0]
        return int(r.split()[-1]) if r.startswith("NUMLOGINS") else None

    def cleanup(self, keep=False):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logtail(self, name, n=30):
        return "\n".join(read(os.path.join(self.logs, name)).splitlines()[-n:])


class Upsmon:
    """One upsmon (root parent + child) with its own pid dir and logs."""

    def __init__(self, stack, tag, monitors, extra="", settings=None):
        self.stack = stack
        self.tag = tag
        self.piddir = stack.mkdir("pid-" + tag, 0o777)
        self.notify_log = os.path.join(stack.logs, "notify-%s.log" % tag)
        self.marker = stack.path("shutdown-%s" % tag)
        self.pdflag = stack.path("killpower-%s" % tag)
        self.conffile = os.path.join(stack.conf, "upsmon-%s.conf" % tag)
        self.env = dict(stack.env, NUT_ALTPIDPATH=self.piddir)
        self.proc = None
        self._write(monitors, extra, settings or {})

    def _scripts(self):
        notify = self.stack.path("notify-%s.sh" % self.tag)
        with open(notify, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $NOTIFYTYPE $UPSNAME" >> %s\n'
                    % self.notify_log)
        shut = self.stack.path("shutdown-%s.sh" % self.tag)
        with open(shut, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $(id -u)" >> %s\n' % self.marker)
        for p in (notify, shut):
            os.chmod(p, 0o755)
        return notify, shut

    def _write(self, monitors, extra, settings):
        notify, shut = self._scripts()
        s = {"MINSUPPLIES": 1, "POLLFREQ": 1, "POLLFREQALERT": 1, "HOSTSYNC": 5,
             "DEADTIME": 3, "FINALDELAY": 0, "NOCOMMWARNTIME": 300, "RBWARNTIME": 43200}
        s.update(settings)
        lines = []
        for m in monitors:
            lines.append("MONITOR %s" % m)
        for k, v in s.items():
            lines.append("%s %s" % (k, v))
        lines.append('SHUTDOWNCMD "%s"' % shut)
        lines.append('NOTIFYCMD "%s"' % notify)
        lines.append("POWERDOWNFLAG %s" % self.pdflag)
        for t in NOTIFY_TYPES:
            lines.append("NOTIFYFLAG %s SYSLOG+EXEC" % t)
        lines.append(extra)
        with open(self.conffile, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.conffile, 0o644)

    def start(self, *args):
        argv = [binary("upsmon"), "-F", "-D", "-f", self.conffile]
        user = run_user()
        if user:
            argv += ["-u", user]
        argv += list(args)
        self.proc = self.stack.spawn(argv, "upsmon-%s.log" % self.tag, env=self.env)
        return self.proc

    def cmd(self, *args):
        return subprocess.run([binary("upsmon")] + list(args) + ["-f", self.conffile],
                              env=self.env, capture_output=True, text=True, timeout=20)

    def pid(self):
        try:
            return int(read(os.path.join(self.piddir, "upsmon.pid")).strip())
        except ValueError:
            return None

    def events(self):
        """[(time, TYPE, UPSNAME)] in the order the notifiers wrote them."""
        out = []
        for line in read(self.notify_log).splitlines():
            w = line.split()
            if len(w) >= 2:
                out.append((float(w[0]), w[1], w[2] if len(w) > 2 else ""))
        return out

    def types(self):
        return [e[1] for e in sorted(self.events())]

    def wait_event(self, ntype, timeout, count=1):
        return wait_for(lambda: self.types().count(ntype) >= count, timeout)

    def shut_down(self):
        return os.path.exists(self.marker)

    def marker_time(self):
        txt = read(self.marker).split()
        return float(txt[0]) if txt else None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            return self.wait_exit(10)
        return self.proc.returncode if self.proc else None

    def log(self, n=40):
        return self.stack.logtail("upsmon-%s.log" % self.tag, n)


def need_binaries(tap, names):
    ref = os.environ.get("UPSMON_TEST_SERVER") == "ref" and ref_dir()
    missing = [n for n in names if binary(n) is None
               and not (ref and n in ("upsd", "dummy-ups"))]
    if missing:
        tap.skip("scenarios", "not built: %s (set BUILD_DIR)" % " ".join(missing))
        sys.exit(tap.done())
