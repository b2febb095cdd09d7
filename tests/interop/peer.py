"""Shared helpers for the interop tests: run Debian's NUT 2.8.0 (the reference, unpacked by
get-nutref.sh into $NUTREF) and ours (from $BUILDDIR) side by side on loopback.

An Impl names one implementation's programs (upsd, dummy-ups, upsc, upscmd, upsrw) and the
environment they need. A Tree is one private NUT tree (conf/ + state/ in a temp dir, 0755)
with ups.conf, upsd.conf (a free 127.0.0.1 port) and upsd.users; it starts a driver and/or an
upsd of either implementation and stops them by PID. Output is TAP (class Tap).

Notes on the reference programs (see tests/data/README.md):
* drivers run in -F with SIGPIPE ignored (2.8.0 drivers in -F skip their signal setup);
* nothing here ever connects to a driver socket: a 2.8.0 driver in -F can die when a socket
  client goes away, so readiness is judged through upsd only.
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
UPS = "eco"
UPS_DESC = "Eaton Ellipse ECO 1200 (dummy-ups)"
# stderr line printed by NSS-linked NUT 2.8.0 clients before STARTTLS: a documented difference
SSL_NOISE = "Init SSL without certificate database"

USERS = """[admin]
\tpassword = adminpass
\tactions = SET FSD
\tinstcmds = ALL
\tupsmon master
[nobody]
\tpassword = nopass
[monuser]
\tpassword = secret
\tupsmon slave
"""


def build_dir():
    return os.path.abspath(os.environ.get("BUILDDIR") or os.path.join(REPO, "build"))


def nutref():
    """The reference NUT root, or None when $NUTREF is unset or holds no lib/nut/upsd."""
    root = os.environ.get("NUTREF", "")
    if root and os.access(os.path.join(root, "lib", "nut", "upsd"), os.X_OK):
        return os.path.abspath(root)
    return None


def run_user():
    return "root" if os.geteuid() == 0 else (os.environ.get("USER") or str(os.geteuid()))


class Impl:
    """One implementation: program paths plus the environment they need."""

    def __init__(self, name, paths, env, datapath):
        self.name = name
        self.datapath = datapath    # where its cmdvartab is (upsd.conf DATAPATH)
        self.paths = paths
        self.env = env

    def exe(self, prog):
        return self.paths.get(prog)

    def missing(self, *progs):
        return [p for p in progs if not self.exe(p)]


def real_impl():
    root = nutref()
    if root is None:
        return None
    paths = {"upsd": os.path.join(root, "lib", "nut", "upsd"),
             "dummy-ups": os.path.join(root, "lib", "nut", "dummy-ups")}
    for prog in ("upsc", "upscmd", "upsrw"):
        paths[prog] = os.path.join(root, "bin", prog)
    paths = {k: v for k, v in paths.items() if os.access(v, os.X_OK)}
    env = {"LD_LIBRARY_PATH": os.path.join(root, "lib", "x86_64-linux-gnu")}
    return Impl("real", paths, env, os.path.join(root, "usr", "share", "nut"))


def our_impl():
    paths = {}
    for prog in ("upsd", "dummy-ups", "upsc", "upscmd", "upsrw"):
        for sub in ("", "server", "clients", "drivers"):
            path = os.path.join(build_dir(), sub, prog)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                paths[prog] = path
                break
    return Impl("ours", paths, {}, os.path.join(REPO, "conf"))


class Tap:
    """TAP producer: ok()/skip() print one line each, done() prints the plan."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                self.diag(diag)
        return bool(cond)

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("#   " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def skip_all(names, why):
    """Print every planned test as skipped; exit status 0."""
    tap = Tap()
    for name in names:
        tap.skip(name, why)
    return tap.done()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while True:
        val = pred()
        if val or time.monotonic() >= end:
            return val
        time.sleep(step)


def _ignore_sigpipe():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


class Tree:
    """A private NUT tree: conf/, state/, log/ in a 0755 temp dir, one upsd port."""

    def __init__(self, tag, users=USERS, desc=UPS_DESC, ups=UPS, state=None):
        self.dir = tempfile.mkdtemp(prefix="interop-%s-" % tag)
        os.chmod(self.dir, 0o755)
        self.conf = self._mkdir("conf")
        self.state = state or self._mkdir("state")
        self.logs = self._mkdir("log")
        self.ups = ups
        self.port = free_port()
        self.procs = {}
        shutil.copy(os.path.join(DATA, DEV_FILE), os.path.join(self.conf, DEV_FILE))
        self.write("ups.conf", '[%s]\n\tdriver = dummy-ups\n\tport = %s\n\tdesc = "%s"\n'
                   % (ups, DEV_FILE, desc))
        self.write("upsd.users", users)

    def _mkdir(self, name):
        path = os.path.join(self.dir, name)
        os.mkdir(path)
        os.chmod(path, 0o755)
        return path

    def write(self, name, text):
        path = os.path.join(self.conf, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def env(self, impl):
        env = dict(os.environ)
        env.update(NUT_CONFPATH=self.conf, NUT_STATEPATH=self.state, NUT_ALTPIDPATH=self.state)
        env.update(impl.env)
        return env

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def logtail(self, name, n=15):
        try:
            with open(self.log(name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def spawn(self, name, impl, argv):
        with open(self.log(name), "ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self.env(impl),
                                    cwd=self.dir, preexec_fn=_ignore_sigpipe)
        self.procs[name] = proc
        return proc

    def sockpath(self):
        return os.path.join(self.state, "dummy-ups-" + self.ups)

    def start_driver(self, impl, timeout=10):
        """Start impl's dummy-ups in -F; True once its socket file exists."""
        self.spawn("driver", impl, [impl.exe("dummy-ups"), "-a", self.ups, "-F",
                                    "-u", run_user()])
        proc = self.procs["driver"]
        return bool(wait_for(lambda: os.path.exists(self.sockpath()) or proc.poll() is not None,
                             timeout) and proc.poll() is None)

    def start_upsd(self, impl, timeout=15):
        """Start impl's upsd in -F; True once it serves ups.status of our UPS."""
        self.write("upsd.conf", "LISTEN 127.0.0.1 %d\nDATAPATH %s\n" % (self.port, impl.datapath))
        self.spawn("upsd", impl, [impl.exe("upsd"), "-F", "-u", run_user()])
        return self.wait_ready(timeout)

    def get(self, var):
        try:
            c = Conn(self.port, timeout=2)
        except OSError:
            return None
        try:
            return c.request(b"GET VAR %s %s\n" % (self.ups.encode(), var.encode()))
        finally:
            c.close()

    def wait_ready(self, timeout=15):
        def ready():
            if self.procs["upsd"].poll() is not None:
                return "dead"
            rep = self.get("ups.status") or b""
            return rep.startswith(b"VAR ") and b'"WAIT"' not in rep
        return wait_for(ready, timeout, 0.2) is True

    def start(self, driver, upsd):
        """Driver then upsd (either may be None); True when everything came up."""
        if driver is not None and not self.start_driver(driver):
            return False
        return upsd is None or self.start_upsd(upsd)

    def client(self, impl, prog, args, timeout=20):
        """Run impl's client: (rc, stdout, stderr without the NSS notice); rc -999 on timeout."""
        try:
            p = subprocess.run([impl.exe(prog)] + list(args), capture_output=True,
                               timeout=timeout, env=self.env(impl), cwd=self.dir,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return -999, "", "TIMEOUT"
        err = "".join(ln for ln in p.stderr.decode(errors="replace").splitlines(True)
                      if ln.rstrip("\n") != SSL_NOISE)
        return p.returncode, p.stdout.decode(errors="replace"), err

    def target(self, ups=None):
        return "%s@127.0.0.1:%d" % (ups or self.ups, self.port)

    def diag(self):
        return "\n".join("--- %s (%s)\n%s" % (n, self.dir, self.logtail(n)) for n in self.procs)

    def stop(self, name, timeout=5):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        # Debian's upsmon forks an unprivileged child that outlives a SIGTERM to its
        # parent: stop children running the same program first (by PID)
        for pid in _children_running(proc.pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def cleanup(self):
        # upsd first: a 2.8.0 driver in -F may die noisily when its last client goes away
        for name in ("upsd", "driver"):
            self.stop(name)
        for name in list(self.procs):
            self.stop(name)
        if os.environ.get("INTEROP_KEEP"):
            print("# kept %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def _children_running(pid):
    """PIDs of pid's children that run the same executable as pid."""
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return []
    out = []
    for k in kids:
        try:
            if os.readlink("/proc/%d/exe" % k) == exe:
                out.append(k)
        except OSError:
            pass
    return out


class Conn:
    """A raw TCP connection that reads replies with a timeout."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.closed = False

    def read_until(self, done, timeout):
        """Read until done(buf) is true, the peer closes, or timeout s of silence."""
        end = time.monotonic() + timeout
        while not done(self.buf) and not self.closed:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            self.buf += data
        out, self.buf = self.buf, b""
        return out

    def request(self, data, timeout=3.0):
        """Send data, return the first reply line (with its LF) or what came before close."""
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True
        return self.read_until(lambda b: b"\n" in b, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def main_guard(fn, names):
    """Run fn() unless the reference NUT is missing (then SKIP every name)."""
    if nutref() is None:
        sys.exit(skip_all(names, "no reference NUT"))
    sys.exit(fn())
