"""Helpers for the integration tests: a private NUT tree on loopback.

A Stack owns a temp dir with conf/, state/ and pid/ sub-directories, a free
127.0.0.1 port, and the processes it started (our dummy-ups and upsd).
Processes get NUT_CONFPATH / NUT_STATEPATH / NUT_ALTPIDPATH pointing into
the tree and are stopped by PID at the end; nothing outside the tree is
touched. Binaries come from $BUILDDIR (default <repo>/build).

Output is TAP: Tap.ok() prints "ok N - name" / "not ok N - name".
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "tests", "data")
DEV_FILE = "ellipse-eco-1200.dev"
DEV_DESC = "Eaton Ellipse ECO 1200 (simulated)"


def build_dir():
    return os.path.abspath(os.environ.get("BUILDDIR") or os.path.join(REPO, "build"))


def binary(name):
    """Absolute path of a built program, or None when it is not built."""
    for sub in ("", "server", "clients", "drivers"):
        path = os.path.join(build_dir(), sub, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def run_user():
    return "root" if os.geteuid() == 0 else os.environ.get("USER") or str(os.geteuid())


class Tap:
    """Minimal TAP producer; done() prints the plan and returns the exit code."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[-30:]:
                    print("#   " + line, flush=True)
        return bool(cond)

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0

    def bail_if_missing(self, *names):
        """SKIP-free guard: missing binaries are a failure (exit 1)."""
        missing = [n for n in names if binary(n) is None]
        if missing:
            self.ok(False, "binaries built: " + " ".join(names),
                    "missing in %s: %s" % (build_dir(), " ".join(missing)))
            sys.exit(self.done())


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago (bind 0, read back)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(pred, timeout, step=0.1):
    """Call pred until it returns a true value or timeout s pass; return the last value."""
    end = time.monotonic() + timeout
    while True:
        val = pred()
        if val or time.monotonic() >= end:
            return val
        time.sleep(step)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def is_ours(pid):
    """True when pid runs one of our built binaries (never signal anything else)."""
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return False
    return exe.startswith(os.path.realpath(build_dir()) + os.sep) and pid_alive(pid)


def read_pidfile(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


class Conn:
    """One line-oriented TCP session to upsd."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def readline(self):
        """Next line without the LF; None on EOF or timeout."""
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def cmd(self, line):
        self.send(line)
        return self.readline()

    def list(self, what):
        """LIST <what>: the item lines, or [first line] when it is not BEGIN."""
        first = self.cmd("LIST " + what)
        if first is None or not first.startswith("BEGIN LIST"):
            return [first]
        items = []
        while True:
            line = self.readline()
            if line is None or line.startswith("END LIST"):
                return items
            items.append(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Stack:
    """Private tree with our dummy-ups + upsd on a free loopback port."""

    def __init__(self, tag, upses=("eco",), maxage=None, upsd_extra=""):
        self.dir = tempfile.mkdtemp(prefix="nutc-%s-" % tag)
        os.chmod(self.dir, 0o755)
        self.conf = self._mkdir("conf")
        self.state = self._mkdir("state")
        self.pid = self._mkdir("pid")
        self.logs = self._mkdir("log")
        self.port = free_port()
        self.procs = {}          # name -> Popen (foreground children)
        self.daemons = {}        # name -> pid file (background daemons)
        self.upses = list(upses)
        shutil.copy(os.path.join(DATA, DEV_FILE), self.conf)
        self.write_ups_conf()
        extra = ("MAXAGE %d\n" % maxage if maxage else "") + upsd_extra
        self.write("upsd.conf", "LISTEN 127.0.0.1 %d\n%s" % (self.port, extra))
        self.write("upsd.users",
                   "[admin]\n\tpassword = adminpass\n\tactions = SET FSD\n"
                   "\tinstcmds = ALL\n\tupsmon primary\n"
                   "[monuser]\n\tpassword = secret\n\tupsmon secondary\n")

    def _mkdir(self, name):
        path = os.path.join(self.dir, name)
        os.mkdir(path)
        os.chmod(path, 0o755)
        return path

    def write(self, name, text):
        path = os.path.join(self.conf, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o640)
        return path

    def write_ups_conf(self):
        text = ""
        for ups in self.upses:
            text += ('[%s]\n\tdriver = dummy-ups\n\tport = %s\n\tdesc = "%s"\n'
                     % (ups, DEV_FILE, DEV_DESC))
        self.write("ups.conf", text)

    def env(self):
        env = dict(os.environ)
        env.update(NUT_CONFPATH=self.conf, NUT_STATEPATH=self.state,
                   NUT_ALTPIDPATH=self.pid)
        return env

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def logtail(self, name, n=25):
        try:
            with open(self.log(name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log %s)" % name

    # ---------------------------------------------------------- processes
    def spawn(self, name, argv):
        out = open(self.log(name), "ab")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=self.env(), cwd=self.dir)
        out.close()
        self.procs[name] = proc
        return proc

    def run(self, argv, timeout=20):
        """Run to completion: (rc, stdout, stderr); rc -999 on timeout."""
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout,
                               env=self.env(), cwd=self.dir, stdin=subprocess.DEVNULL)
            return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            return -999, (e.stdout or b"").decode(errors="replace"), "TIMEOUT"

    def sockpath(self, ups):
        return os.path.join(self.state, "dummy-ups-" + ups)

    def start_driver(self, ups="eco", foreground=True, wait=True):
        argv = [binary("dummy-ups"), "-a", ups, "-u", run_user()]
        name = "dummy-ups-" + ups
        if foreground:
            self.spawn(name, argv + ["-F"])
        else:
            self.run_daemon(name, argv, os.path.join(self.pid, name + ".pid"))
        return self.wait_unix(self.sockpath(ups)) if wait else True

    def start_upsd(self, foreground=True, wait=True):
        argv = [binary("upsd"), "-u", run_user()]
        if foreground:
            self.spawn("upsd", argv + ["-F"])
        else:
            self.run_daemon("upsd", argv, os.path.join(self.pid, "upsd.pid"))
        return self.wait_tcp() if wait else True

    def run_daemon(self, name, argv, pidfile):
        """Start a self-backgrounding daemon; remember its pid file."""
        self.daemons[name] = pidfile
        with open(self.log(name), "ab") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=self.env(), cwd=self.dir)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.procs[name] = p     # did not background: stop it like a child
        return wait_for(lambda: read_pidfile(pidfile), 5)

    def pid_of(self, name):
        if name in self.procs and self.procs[name].poll() is None:
            return self.procs[name].pid
        if name in self.daemons:
            pid = read_pidfile(self.daemons[name])
            return pid if pid and is_ours(pid) else None
        return None

    def stop(self, name, sig=signal.SIGTERM, timeout=5):
        """Stop one process we started; True when it is gone."""
        proc = self.procs.pop(name, None)
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(sig)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    return False
            return True
        pidfile = self.daemons.pop(name, None)
        pid = read_pidfile(pidfile) if pidfile else None
        if pid is None or not is_ours(pid):
            return True
        os.kill(pid, sig)
        if wait_for(lambda: not pid_alive(pid), timeout):
            return True
        os.kill(pid, signal.SIGKILL)
        return False

    def cleanup(self, keep=False):
        for name in list(self.procs) + list(self.daemons):
            pid = self.pid_of(name)
            if pid:
                try:
                    os.kill(pid, signal.SIGCONT)   # a test may have stopped it
                except OSError:
                    pass
            self.stop(name)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---------------------------------------------------------- waiting
    def wait_unix(self, path, timeout=10):
        def ready():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return True
            except OSError:
                return False
            finally:
                s.close()
        return wait_for(ready, timeout)

    def wait_tcp(self, timeout=10):
        def ready():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        return wait_for(ready, timeout)

    def get(self, ups, var):
        """One GET VAR on a fresh connection: the reply line (or None)."""
        try:
            c = Conn(self.port)
        except OSError:
            return None
        try:
            return c.cmd("GET VAR %s %s" % (ups, var))
        finally:
            c.close()

    def wait_ready(self, ups="eco", timeout=15):
        """True once upsd serves ups.status for ups (WAIT = dump still in progress)."""
        def ready():
            rep = self.get(ups, "ups.status") or ""
            return rep.startswith("VAR ") and not rep.endswith('"WAIT"')
        return wait_for(ready, timeout, 0.2)

    def start_all(self, foreground=True):
        """Drivers then upsd; True when every UPS is served."""
        ok = all(self.start_driver(u, foreground) for u in self.upses)
        ok = self.start_upsd(foreground) and ok
        return ok and all(self.wait_ready(u) for u in self.upses)

    def upsc(self, *args, timeout=20):
        return self.run([binary("upsc")] + list(args), timeout=timeout)

    def target(self, ups="eco", host="127.0.0.1"):
        return "%s@%s:%d" % (ups, host, self.port)

    def diag(self):
        return "\n".join("--- %s\n%s" % (n, self.logtail(n))
                         for n in sorted(set(self.procs) | set(self.daemons)))


def read_dev(path=os.path.join(DATA, DEV_FILE)):
    """The dump as an ordered list of (name, value), comments skipped."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or ": " not in line:
                continue
            name, value = line.split(": ", 1)
            out.append((name, value))
    return out
