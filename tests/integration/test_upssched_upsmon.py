#!/usr/bin/env python3
"""upssched behind upsmon, whole stack on loopback: our dummy-ups (its .dev file
rewritten to cut and restore mains), our upsd, our upsmon with NOTIFYCMD = upssched.

The upssched-cmd script is the setup guide's, verbatim except /usr/sbin/upsmon
(-> the built upsmon); `logger` and `wall` are stand-ins first in PATH that write
timestamped markers, SHUTDOWNCMD writes a marker. NOTIFYCMD is a two-line wrapper
that logs "<epoch> <NOTIFYTYPE> <UPSNAME>" and execs upssched.

 2  short outage, an upssched.conf whose ONLINE rules cancel every timer: mains
    back after 10 s -> ONBATT then ONLINE notified, the timers cancelled (the
    daemon empties its queue and exits), nobody shuts down, no FSD
 3a the guide's upssched.conf exactly as written (only /etc/nut -> the test
    tree): on battery 30 s -> onbatt and earlyshutdown fire -> upsmon -c fsd ->
    FSD set in upsd -> SHUTDOWN notified (it runs EXECUTE powerdown twice) ->
    POWERDOWNFLAG written -> SHUTDOWNCMD -> upsmon exits
 3b the same file, mains back after 10 s: ONLINE cancels onbatt (its word is
    not run), but earlyshutdown is not cancelled by that file, so it still fires
    at 30 s and the host shuts down -- what NUT does with this file

The three scenarios run side by side (separate trees and ports).
"""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DATA, DEV_FILE, Stack, Tap, binary, is_ours, read_pidfile, wait_for  # noqa: E402

GUIDE = os.path.join(DATA, "setup-guide")
KEEP = bool(os.environ.get("KEEP_TMP"))
MAGIC = "upsmon-shutdown-file"

ALL_CANCEL_CONF = """CMDSCRIPT {d}/upssched-cmd
PIPEFN {d}/upssched.pipe
LOCKFN {d}/upssched.lock

AT ONBATT * START-TIMER onbatt 30
AT ONBATT * START-TIMER earlyshutdown 30
AT ONLINE * CANCEL-TIMER onbatt online
AT ONLINE * CANCEL-TIMER earlyshutdown
"""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Tree:
    """A Stack plus upsmon, upssched config and the marker scripts."""

    def __init__(self, tag):
        self.st = Stack(tag)
        self.tag = uuid.uuid4().hex
        d = self.st.dir
        self.bin = os.path.join(d, "bin")
        os.mkdir(self.bin)
        os.chmod(self.bin, 0o755)
        self.notify_log = self.st.log("notify")
        self.logger_log = self.st.log("logger")
        self.wall_log = self.st.log("wall")
        self.shutdown_log = self.st.log("shutdown")
        self.pdflag = os.path.join(d, "killpower")
        self.pipe = os.path.join(self.st.conf, "upssched.pipe")
        self.mtime = int(time.time()) - 100
        self.set_status(None)
        self.script("logger", 'echo "$(date +%%s.%%N) $*" >> %s' % self.logger_log)
        self.script("wall", 'echo "$(date +%%s.%%N) $(cat)" >> %s' % self.wall_log)
        self.script("shutdown-marker", 'echo "$(date +%%s.%%N)" >> %s' % self.shutdown_log)
        self.script("notify", 'echo "$(date +%%s.%%N) $NOTIFYTYPE $UPSNAME" >> %s\nexec %s "$@"'
                    % (self.notify_log, binary("upssched")))
        cmd = read(os.path.join(GUIDE, "upssched-cmd")).replace("/usr/sbin/upsmon",
                                                                 binary("upsmon"))
        path = os.path.join(self.st.conf, "upssched-cmd")
        with open(path, "w") as f:
            f.write(cmd)
        os.chmod(path, 0o755)
        self.upsmon = None

    def script(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n%s\n" % body)
        os.chmod(path, 0o755)
        return path

    def env(self):
        env = self.st.env()
        env["PATH"] = self.bin + ":" + env.get("PATH", "/usr/bin:/bin")
        env["SCHED_TEST_TAG"] = self.tag
        return env

    def set_status(self, status):
        """rewrite the .dev with ups.status (None: leave it to dummy-ups, OL), new mtime"""
        path = os.path.join(self.st.conf, DEV_FILE)
        text = read(os.path.join(DATA, DEV_FILE))
        if status:
            text += "ups.status: %s\n" % status
        with open(path, "w") as f:
            f.write(text)
        self.mtime += 10
        os.utime(path, (self.mtime, self.mtime))

    def write_upssched_conf(self, text):
        self.st.write("upssched.conf", text)
        os.chmod(os.path.join(self.st.conf, "upssched.conf"), 0o644)

    def start(self):
        if not self.st.start_all():
            raise RuntimeError("stack did not start:\n" + self.st.diag())
        flags = ["NOTIFYFLAG %s SYSLOG+EXEC" % t for t in
                 ("ONLINE", "ONBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "NOCOMM")]
        flags += ["NOTIFYFLAG %s SYSLOG" % t for t in ("LOWBATT", "REPLBATT", "NOPARENT")]
        self.st.write("upsmon.conf", "\n".join([
            "RUN_AS_USER root",
            "MONITOR %s 1 admin adminpass primary" % self.st.target(),
            "MINSUPPLIES 1",
            'SHUTDOWNCMD "%s"' % os.path.join(self.bin, "shutdown-marker"),
            "NOTIFYCMD %s" % os.path.join(self.bin, "notify"),
            "POLLFREQ 2", "POLLFREQALERT 1", "HOSTSYNC 15", "DEADTIME 15",
            "POWERDOWNFLAG %s" % self.pdflag,
            "RBWARNTIME 43200", "NOCOMMWARNTIME 600", "FINALDELAY 5"] + flags) + "\n")
        out = open(self.st.log("upsmon"), "ab")
        self.upsmon = subprocess.Popen([binary("upsmon"), "-F", "-D", "-u", "root"],
                                       stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=self.env(), cwd=self.st.dir)
        out.close()
        self.st.procs["upsmon"] = self.upsmon
        return wait_for(lambda: self.upsmon_pid() is not None, 15)

    def upsmon_pid(self):
        """the monitoring child (PID file), if it runs"""
        pid = read_pidfile(os.path.join(self.st.pid, "upsmon.pid"))
        return pid if pid and is_ours(pid) else None

    def events(self):
        """[(time, NOTIFYTYPE)] in the order the notifiers logged them"""
        out = []
        for line in read(self.notify_log).splitlines():
            w = line.split()
            if len(w) >= 2:
                out.append((float(w[0]), w[1]))
        return sorted(out)

    def types(self):
        return [e[1] for e in self.events()]

    def when(self, ntype):
        t = [e[0] for e in self.events() if e[1] == ntype]
        return t[0] if t else None

    def logger(self):
        """[(time, message)] written by the guide's script through `logger -t upssched-cmd`"""
        out = []
        for line in read(self.logger_log).splitlines():
            w = line.split(" ", 3)
            if len(w) == 4 and w[1:3] == ["-t", "upssched-cmd"]:
                out.append((float(w[0]), w[3]))
        return out

    def logged(self, msg):
        return [t for t, m in self.logger() if m == msg]

    def status(self):
        rep = self.st.get("eco", "ups.status") or ""
        return rep.split('"')[1] if rep.count('"') >= 2 else rep

    def daemons(self):
        """upssched timer daemons of this tree (tagged through the environment)"""
        exe = os.path.realpath(binary("upssched"))
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/exe" % pid) != exe:
                    continue
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
                with open("/proc/%s/stat" % pid) as f:
                    st = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # the daemon leads its own session (setsid); callers do not
            if ("SCHED_TEST_TAG=%s" % self.tag).encode() in env and st[0] != "Z" \
                    and st[3] == pid:
                found.append(int(pid))
        return found

    def diag(self):
        return "notify: %s\nlogger: %s\nstatus: %s\n--- upsmon\n%s" % (
            self.types(), self.logger(), self.status(), self.st.logtail("upsmon", 30))

    def cleanup(self):
        pid = self.upsmon_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not self.upsmon_pid(), 10)
        for pid in self.daemons():
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        self.st.cleanup(KEEP)


def short_outage(res):
    """2: ONLINE cancels every timer; mains back after 10 s"""
    tr = Tree("sched2")
    try:
        tr.write_upssched_conf(ALL_CANCEL_CONF.format(d=tr.st.conf))
        r = subprocess.run([binary("upssched"), "-n"], env=tr.env(), capture_output=True,
                           text=True, timeout=20)
        res.append((r.returncode == 0 and "0 warning(s)" in r.stdout,
                    "2: upssched -n: the all-cancelling upssched.conf has no warning",
                    r.stdout + r.stderr))
        res.append((tr.start(), "2: stack and upsmon up", tr.diag()))
        tr.set_status("OB DISCHRG")
        ob = wait_for(lambda: tr.when("ONBATT"), 20)
        res.append((ob and wait_for(lambda: tr.daemons() and os.path.exists(tr.pipe), 10),
                    "2: mains lost: ONBATT notified, upssched started its timer daemon",
                    tr.diag()))
        if not ob:
            return
        wait_for(lambda: time.time() >= ob + 10, 15)
        tr.set_status("OL")
        online = wait_for(lambda: tr.when("ONLINE"), 20)
        res.append((online and tr.types()[-2:] == ["ONBATT", "ONLINE"],
                    "2: mains back after 10 s: ONLINE notified after ONBATT (%.1f s)"
                    % ((online or ob) - ob), tr.diag()))
        gone = wait_for(lambda: not tr.daemons() and not os.path.exists(tr.pipe), 40)
        res.append((gone and tr.logger() == [],
                    "2: both timers cancelled: the daemon's queue emptied and it exited "
                    "without running CMDSCRIPT", tr.diag()))
        wait_for(lambda: time.time() >= ob + 36, 40)
        res.append((tr.logger() == [], "2: CMDSCRIPT never ran (no timer fired; onbatt was "
                    "running, so 'online' was not run either)", tr.diag()))
        res.append((not os.path.exists(tr.shutdown_log) and not os.path.exists(tr.pdflag)
                    and tr.upsmon.poll() is None and tr.upsmon_pid() is not None,
                    "2: nobody shut down (36 s after ONBATT): no SHUTDOWNCMD, no POWERDOWNFLAG, "
                    "upsmon still running", tr.diag()))
        res.append(("FSD" not in tr.status() and "FSD" not in tr.types()
                    and "SHUTDOWN" not in tr.types(), "2: no FSD in upsd, no FSD/SHUTDOWN "
                    "notified", tr.diag()))
    finally:
        tr.cleanup()


def guide_outage(res, back_after):
    """3a (back_after None) / 3b: the guide's upssched.conf exactly as written"""
    name = "3a" if back_after is None else "3b"
    tr = Tree("sched" + name)
    try:
        text = read(os.path.join(GUIDE, "upssched.conf")).replace("/etc/nut", tr.st.conf)
        tr.write_upssched_conf(text)
        res.append((tr.start(), "%s: stack and upsmon up" % name, tr.diag()))
        tr.set_status("OB DISCHRG")
        ob = wait_for(lambda: tr.when("ONBATT"), 20)
        res.append((ob and wait_for(lambda: tr.daemons(), 10),
                    "%s: mains lost: ONBATT notified, timer daemon started" % name, tr.diag()))
        if not ob:
            return
        if back_after is not None:
            wait_for(lambda: time.time() >= ob + back_after, back_after + 5)
            tr.set_status("OL")
            online = wait_for(lambda: tr.when("ONLINE"), 20)
            res.append((online, "%s: mains back after %d s: ONLINE notified"
                        % (name, back_after), tr.diag()))
        early = wait_for(lambda: tr.logged("UPS on battery too long, early shutdown"), 60)
        res.append((early and early[0] - ob >= 29,
                    "%s: earlyshutdown fired 30 s after ONBATT (%.1f s)"
                    % (name, (early[0] - ob) if early else -1), tr.diag()))
        if back_after is None:
            onbatt = tr.logged("UPS running on battery")
            res.append((onbatt and onbatt[0] - ob >= 29,
                        "3a: the onbatt timer fired too (30 s)", tr.diag()))
        shut = wait_for(lambda: read(tr.shutdown_log).split(), 60)
        res.append((shut and early and float(shut[0]) > early[0],
                    "%s: ... upsmon -c fsd -> SHUTDOWNCMD ran" % name, tr.diag()))
        res.append(("FSD" in tr.status(), "%s: upsmon (primary) set FSD in upsd: ups.status %s"
                    % (name, tr.status()), tr.diag()))
        types = tr.types()
        # NUT's primary does not notify FSD for its own FSD: it shuts down before polling
        res.append(("SHUTDOWN" in types and types.index("SHUTDOWN") > types.index("ONBATT"),
                    "%s: SHUTDOWN notified after ONBATT" % name, types))
        res.append((read(tr.pdflag) == MAGIC, "%s: POWERDOWNFLAG written (%s)"
                    % (name, MAGIC), repr(read(tr.pdflag))))
        pd = wait_for(lambda: len(tr.logged("Unrecognized command: powerdown")) == 2, 20)
        res.append((pd, "%s: SHUTDOWN ran EXECUTE powerdown twice (the guide's duplicate line)"
                    % name, tr.logger()))
        res.append((wait_for(lambda: tr.upsmon.poll() is not None and not tr.upsmon_pid(), 20),
                    "%s: upsmon exited after the shutdown" % name, tr.diag()))
        if back_after is not None:
            msgs = [m for _, m in tr.logger()]
            res.append(("UPS running on battery" not in msgs
                        and "Unrecognized command: online" not in msgs,
                        "3b: ONLINE cancelled onbatt (it never fired, and its word 'online' "
                        "was not run since the timer was running)", msgs))
    finally:
        tr.cleanup()


def run(fn, res, *args):
    try:
        fn(res, *args)
    except Exception as e:      # a crash is one failed result, not a hung test
        res.append((False, "%s ran to the end" % fn.__name__, repr(e)))


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups", "upsmon", "upssched")
    results = [[], [], []]
    jobs = [threading.Thread(target=run, args=(short_outage, results[0])),
            threading.Thread(target=run, args=(guide_outage, results[1], None)),
            threading.Thread(target=run, args=(guide_outage, results[2], 10))]
    for j in jobs:
        j.start()
    for j in jobs:
        j.join()
    for res in results:
        for cond, name, diag in res:
            t.ok(cond, name, diag)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
