"""Helpers for the upsmon tests (and upssched's upsmon scenario).

A MonStack is a private tree (conf, state, log, pid dirs) with dummy-ups +
upsd on a free loopback port, ours or Debian's NUT 2.8.0 from $NUTREF
(server="ref"). The UPS is driven by rewriting its .dev file: dummy-ups
rereads it when its mtime changes (the test sets a new mtime each time).

An Upsmon is one upsmon (ours, or Debian's with impl="ref") with its own
PID dir, a NOTIFYCMD that appends "epoch TYPE UPSNAME message" to a log,
a SHUTDOWNCMD that appends "epoch uid" to a marker file, a POWERDOWNFLAG
path, and `wall` replaced (through PATH) by a stub that appends to a log,
so nothing reaches real terminals. The child runs as the `nut` user when
it exists (the privilege split is part of what is tested): every file it
writes is in a 0777 directory.

Binaries come from $BUILDDIR (or $BUILD_DIR); processes are stopped by PID.
"""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from stack import Tap, free_port, wait_for  # noqa: E402,F401

SRCDIR = os.path.dirname(os.path.dirname(HERE))
DATADIR = os.path.join(SRCDIR, "tests", "data")
DEV_BASE = os.path.join(DATADIR, "ellipse-eco-1200.dev")

# types whose NOTIFYFLAG gets EXEC in test configs
NOTIFY_TYPES = ("ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN",
                "REPLBATT", "NOCOMM", "NOPARENT", "CAL", "NOTCAL", "OFF", "NOTOFF",
                "BYPASS", "NOTBYPASS", "ALARM", "NOTALARM", "OVER", "NOTOVER",
                "OTHER", "NOTOTHER", "SHUTDOWN_HOSTSYNC")
# what Debian's 2.8.0 upsmon knows (it rejects the others)
NOTIFY_TYPES_280 = ("ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN",
                    "REPLBATT", "NOCOMM", "NOPARENT", "CAL")


def build_dir():
    for cand in (os.environ.get("BUILDDIR"), os.environ.get("BUILD_DIR"),
                 os.path.join(SRCDIR, "build")):
        if cand and os.path.exists(os.path.join(cand, "upsmon")):
            return os.path.abspath(cand)
    return os.path.abspath(os.environ.get("BUILDDIR") or os.path.join(SRCDIR, "build"))


def binary(name):
    for sub in ("", "server", "clients", "drivers", "monitor", "sched"):
        p = os.path.join(build_dir(), sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def nutref():
    """Debian's NUT 2.8.0 unpacked (tests/interop/get-nutref.sh), or None."""
    root = os.environ.get("NUTREF", "")
    if root and os.access(os.path.join(root, "lib", "nut", "upsd"), os.X_OK):
        return os.path.abspath(root)
    return None


def ref_binary(name):
    root = nutref()
    return os.path.join(root, "lib", "nut", name) if root else None


def ref_env(env):
    e = dict(env)
    e["LD_LIBRARY_PATH"] = os.path.join(nutref(), "lib", "x86_64-linux-gnu")
    return e


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def child_user():
    """The unprivileged account for upsmon's child: nut, else root (when we are root)."""
    for name in ("nut",):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    return "root" if os.geteuid() == 0 else None


def _ignore_sigpipe():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def dev_text(status, extra=None):
    """The Ellipse dump with ups.status (and any extra var: value) replaced."""
    extra = dict(extra or {})
    extra["ups.status"] = status
    out, seen = [], set()
    for line in read(DEV_BASE).splitlines():
        name = line.split(":", 1)[0] if ": " in line and not line.startswith("#") else None
        if name in extra:
            out.append("%s: %s" % (name, extra[name]))
            seen.add(name)
        else:
            out.append(line)
    out += ["%s: %s" % (k, v) for k, v in extra.items() if k not in seen]
    return "\n".join(out) + "\n"


class Stack:
    """dummy-ups (one per UPS name) + upsd in a private tree; server "ours" or "ref"."""

    def __init__(self, tag, ups=("ups",), server="ours"):
        self.server = server
        self.dir = tempfile.mkdtemp(prefix="upsmon-%s-" % tag)
        os.chmod(self.dir, 0o755)
        self.conf = self.mkdir("conf")
        self.state = self.mkdir("state")
        self.logs = self.mkdir("logs", 0o777)
        self.bin = self.mkdir("bin")
        self.port = free_port()
        self.ups = list(ups)
        self.procs = []
        self.upsd = None
        self.mtime = 1000000000
        self.env = dict(os.environ, NUT_CONFPATH=self.conf, NUT_STATEPATH=self.state,
                        NUT_ALTPIDPATH=self.state)
        self.env["PATH"] = self.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin")
        self.wall_log = os.path.join(self.logs, "wall.log")
        self._write_wall_stub()
        self._write_server_conf()

    def mkdir(self, name, mode=0o755):
        p = os.path.join(self.dir, name)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        return p

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_wall_stub(self):
        stub = os.path.join(self.bin, "wall")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\n{ printf "%%s " "$(date +%%s.%%N)"; cat; } >> %s\n'
                    % self.wall_log)
        os.chmod(stub, 0o755)

    def server_env(self):
        return ref_env(self.env) if self.server == "ref" else self.env

    def server_binary(self, name):
        return ref_binary(name) if self.server == "ref" else binary(name)

    def _write_server_conf(self):
        text = "pollinterval = 1\n"
        for u in self.ups:
            text += '[%s]\n\tdriver = dummy-ups\n\tport = %s.dev\n\tdesc = "test %s"\n' % (u, u, u)
            self.write_dev(u, "OL")
        self._write("ups.conf", text)
        self._write("upsd.conf", "LISTEN 127.0.0.1 %d\n" % self.port)
        self._write("upsd.users",
                    "[admin]\n\tpassword = adminpass\n\tactions = SET FSD\n\tinstcmds = ALL\n"
                    "\tupsmon master\n\n[monuser]\n\tpassword = secret\n\tupsmon slave\n")

    def _write(self, name, text):
        p = os.path.join(self.conf, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o644)
        return p

    def write_dev(self, ups, status, extra=None):
        p = os.path.join(self.conf, "%s.dev" % ups)
        with open(p, "w") as f:
            f.write(dev_text(status, extra))
        os.chmod(p, 0o644)
        self.mtime += 10           # a new mtime makes dummy-ups read it again
        os.utime(p, (self.mtime, self.mtime))

    # ------------------------------------------------------------ processes
    def spawn(self, argv, logname, env=None):
        out = open(os.path.join(self.logs, logname), "ab")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env or self.env, cwd=self.dir, preexec_fn=_ignore_sigpipe)
        out.close()
        self.procs.append(p)
        return p

    def start(self):
        for u in self.ups:
            self.spawn([self.server_binary("dummy-ups"), "-a", u, "-F", "-u", "root"],
                       "driver-%s.log" % u, env=self.server_env())
        for u in self.ups:
            sock = os.path.join(self.state, "dummy-ups-%s" % u)
            if not wait_for(lambda: os.path.exists(sock), 10):
                raise RuntimeError("driver %s did not create %s" % (u, sock))
        self.start_upsd()

    def start_upsd(self):
        self.upsd = self.spawn([self.server_binary("upsd"), "-F", "-u", "root"], "upsd.log",
                               env=self.server_env())
        for u in self.ups:
            if not wait_for(lambda: self.status(u) not in (None, "WAIT"), 15, 0.2):
                raise RuntimeError("upsd does not serve %s:\n%s" % (u, self.logtail("upsd.log")))

    def stop_upsd(self):
        if self.upsd and self.upsd.poll() is None:
            self.upsd.terminate()
            try:
                self.upsd.wait(5)
            except subprocess.TimeoutExpired:
                self.upsd.kill()
                self.upsd.wait()
        self.upsd = None

    def cleanup(self, keep=False):
        # upsd first: a 2.8.0 driver in -F may die noisily when its last client goes away
        if self.upsd:
            self.stop_upsd()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if keep:
            print("# kept %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ protocol
    def session(self, lines, timeout=3):
        """Send lines on one connection; the reply lines (one per request)."""
        import socket
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

    def set_status(self, value, ups="ups", wait=True, extra=None):
        """New ups.status through the .dev file; wait until upsd serves it."""
        self.write_dev(ups, value, extra)
        if wait and not wait_for(lambda: (self.status(ups) or "").endswith(value), 15, 0.2):
            raise RuntimeError("status of %s never became %s (is %s)"
                               % (ups, value, self.status(ups)))

    def numlogins(self, ups="ups"):
        try:
            r = self.session(["GET NUMLOGINS %s" % ups])[0]
        except OSError:
            return None
        return int(r.split()[-1]) if r.startswith("NUMLOGINS") else None

    def logtail(self, name, n=30):
        return "\n".join(read(os.path.join(self.logs, name)).splitlines()[-n:])


class Upsmon:
    """One upsmon (root parent + child) with its own PID dir, notify log and marker."""

    def __init__(self, stack, tag, monitors, extra="", settings=None, impl="ours", user=None):
        self.stack = stack
        self.tag = tag
        self.impl = impl
        self.user = user or child_user()
        self.piddir = stack.mkdir("pid-" + tag, 0o777)
        self.notify_log = os.path.join(stack.logs, "notify-%s.log" % tag)
        self.marker = os.path.join(stack.logs, "shutdown-%s" % tag)
        self.pdflag = stack.path("killpower-%s" % tag)
        self.conffile = os.path.join(stack.conf, "upsmon-%s.conf" % tag)
        self.env = dict(stack.env, NUT_ALTPIDPATH=self.piddir)
        if impl == "ref":
            self.env = ref_env(self.env)
        self.proc = None
        self.write(monitors, extra, settings or {})

    def exe(self):
        return ref_binary("upsmon") if self.impl == "ref" else binary("upsmon")

    def _scripts(self):
        notify = self.stack.path("notify-%s.sh" % self.tag)
        with open(notify, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $NOTIFYTYPE $UPSNAME $1" >> %s\n'
                    % self.notify_log)
        shut = self.stack.path("shutdown-%s.sh" % self.tag)
        with open(shut, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $(id -u)" >> %s\n' % self.marker)
        for p in (notify, shut):
            os.chmod(p, 0o755)
        return notify, shut

    def write(self, monitors, extra="", settings=None):
        notify, shut = self._scripts()
        s = {"MINSUPPLIES": 1, "POLLFREQ": 1, "POLLFREQALERT": 1, "HOSTSYNC": 5,
             "DEADTIME": 3, "FINALDELAY": 0, "NOCOMMWARNTIME": 300, "RBWARNTIME": 43200}
        s.update(settings or {})
        lines = ["MONITOR %s" % m for m in monitors]
        lines += ["%s %s" % (k, v) for k, v in s.items()]
        lines.append('SHUTDOWNCMD "%s"' % shut)
        lines.append('NOTIFYCMD "%s"' % notify)
        lines.append("POWERDOWNFLAG %s" % self.pdflag)
        types = NOTIFY_TYPES_280 if self.impl == "ref" else NOTIFY_TYPES
        lines += ["NOTIFYFLAG %s SYSLOG+WALL+EXEC" % t for t in types]
        lines.append(extra)
        with open(self.conffile, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.conffile, 0o644)

    def start(self, *args):
        # ours at -DD logs every poll ("UPS [x] status [y]"): polls() counts them
        debug = ["-D"] if self.impl == "ref" else ["-D", "-D"]
        argv = [self.exe(), "-F"] + debug + ["-f", self.conffile]
        if self.user:
            argv += ["-u", self.user]
        argv += list(args)
        self.proc = self.stack.spawn(argv, "upsmon-%s.log" % self.tag, env=self.env)
        return self.proc

    def cmd(self, *args):
        """Run this upsmon's binary with args (and -f conf): CompletedProcess."""
        return subprocess.run([self.exe()] + list(args) + ["-f", self.conffile],
                              env=self.env, capture_output=True, text=True, timeout=20)

    def pid(self):
        try:
            return int(read(os.path.join(self.piddir, "upsmon.pid")).strip())
        except ValueError:
            return None

    def events(self):
        """[(time, TYPE, UPSNAME, message)] as the notifiers wrote them, in time order."""
        out = []
        for line in read(self.notify_log).splitlines():
            w = line.split(" ", 3)
            if len(w) >= 2:
                w += [""] * (4 - len(w))
                out.append((float(w[0]), w[1], w[2], w[3]))
        return sorted(out)

    def types(self):
        return [e[1] for e in self.events()]

    def wait_event(self, ntype, timeout, count=1):
        return wait_for(lambda: self.types().count(ntype) >= count, timeout)

    def polls(self):
        """Good polls so far (ours only: the -DD log lines)."""
        return read(os.path.join(self.stack.logs, "upsmon-%s.log" % self.tag)).count("] status [")

    def wait_polls(self, n, timeout=15):
        """Wait until n more good polls than now happened."""
        base = self.polls()
        return wait_for(lambda: self.polls() >= base + n, timeout)

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

    def children(self):
        """PIDs of this upsmon's own children running its binary (the monitoring child)"""
        exe = os.path.realpath(self.exe())
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                ppid = int(read("/proc/%s/stat" % d).rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid and os.readlink("/proc/%s/exe" % d) == exe:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
        return out

    def stop(self):
        """SIGTERM the root parent. Debian's 2.8.0 parent dies without passing it on,
        so its monitoring child (NOPARENT forever) is stopped by PID too."""
        if self.proc and self.proc.poll() is None:
            kids = self.children()
            self.proc.terminate()
            rc = self.wait_exit(10)
            for pid in kids:
                try:
                    if os.readlink("/proc/%d/exe" % pid) == os.path.realpath(self.exe()):
                        os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
            return rc
        return self.proc.returncode if self.proc else None

    def log(self, n=40):
        return self.stack.logtail("upsmon-%s.log" % self.tag, n)


def need_binaries(tap, names):
    """Missing binaries are a failure (exit 1), never a silent pass."""
    missing = [n for n in names if binary(n) is None]
    if missing:
        tap.ok(False, "binaries built: " + " ".join(names),
               "missing in %s: %s" % (build_dir(), " ".join(missing)))
        sys.exit(tap.done())
