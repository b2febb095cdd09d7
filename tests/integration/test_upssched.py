#!/usr/bin/env python3
"""upssched on its own: invoked directly, as upsmon would, with UPSNAME and
NOTIFYTYPE in the environment. The CMDSCRIPT appends a timestamped marker
line ("<epoch> <word> <UPSNAME> <NOTIFYTYPE> <NOTIFYMSG>") per run.

* no UPSNAME/NOTIFYTYPE -> error, exit 1
* EXECUTE runs CMDSCRIPT at once with the event's environment, no daemon
* START-TIMER starts the daemon (the caller returns at once, its stdout is
  not held), the timer fires no earlier than its delay, type matched
  case-insensitively, UPS name exactly
* CANCEL-TIMER: a running timer is removed (its word is not run); no timer
  running -> the word runs (daemon up or not); without a word and without a
  daemon nothing is started
* the daemon stays through its idle time, then exits and removes PIPEFN
* 20 simultaneous calls on a cold start (held at a FIFO, released at once):
  one daemon, all 20 timers fire once; then 30 simultaneous cancels and
  starts mixed: exactly the survivors fire
* the daemon's exit racing new calls (idle time 50 ms, 0 s timers, waves of
  20 calls released at once or staggered, then 4 looping callers): no call fails, no command lost
  or doubled, never two daemons alive at once (sampled)
* a daemon killed with SIGKILL leaves a stale PIPEFN: the next call works
* a message starting with '-' (upsmon's only argument) is the message, not options
* config errors: file:line on stderr, exit 1, the valid rules still run;
  -n on a bad file: every error as file:line, exit 1
* -n on the setup guide's upssched.conf read from NUT_CONFPATH: exit 0, a
  warning naming the START-TIMER earlyshutdown line (no ONLINE cancel), and
  none for onbatt
"""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DATA, Tap, binary, wait_for  # noqa: E402

GUIDE = os.path.join(DATA, "setup-guide")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Sched:
    """A private dir with a marker CMDSCRIPT, an upssched.conf and a test tag."""

    def __init__(self, root, name, rules, idle_ms=None):
        self.dir = os.path.join(root, name)
        os.mkdir(self.dir)
        self.log = os.path.join(self.dir, "markers.log")
        self.script = os.path.join(self.dir, "cmd.sh")
        self.pipe = os.path.join(self.dir, "upssched.pipe")
        self.lock = os.path.join(self.dir, "upssched.lock")
        self.conf = os.path.join(self.dir, "upssched.conf")
        self.tag = uuid.uuid4().hex
        with open(self.script, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $1 $UPSNAME $NOTIFYTYPE $NOTIFYMSG" >> %s\n'
                    % self.log)
        os.chmod(self.script, 0o755)
        self.write(rules)
        self.env = dict(os.environ, NUT_CONFPATH=self.dir, SCHED_TEST_TAG=self.tag)
        self.env.pop("NOTIFYMSG", None)
        if idle_ms:
            self.env["UPSSCHED_IDLE_MS"] = str(idle_ms)

    def write(self, rules, head=None):
        if head is None:
            head = ["CMDSCRIPT %s" % self.script, "PIPEFN %s" % self.pipe,
                    "LOCKFN %s" % self.lock]
        with open(self.conf, "w") as f:
            f.write("\n".join(head + rules) + "\n")

    def popen(self, ups, ntype, msg=None, args=(), gate=None):
        """start upssched; with gate (a FIFO) it waits there until release(gate)"""
        env = dict(self.env)
        if ups is not None:
            env["UPSNAME"] = ups
        if ntype is not None:
            env["NOTIFYTYPE"] = ntype
        argv = [binary("upssched")] + list(args) + ([msg] if msg is not None else [])
        if gate:
            argv = ["/bin/sh", "-c", 'read x < "$0"; exec "$@"', gate] + argv
        return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def gate(self):
        """a FIFO that holds gated callers until release(): they all start at once"""
        path = os.path.join(self.dir, "gate-%s" % uuid.uuid4().hex[:8])
        os.mkfifo(path)
        return path

    def release(self, gate, procs):
        """once every caller waits on the FIFO, open it for writing and close: EOF to all"""
        def waiting():
            n = 0
            for p in procs:
                try:
                    with open("/proc/%d/wchan" % p.pid) as f:
                        n += f.read().strip() in ("fifo_open", "pipe_read", "wait_for_partner")
                except OSError:
                    pass
            return n == len(procs)
        wait_for(waiting, 30, 0.05)
        fd = os.open(gate, os.O_WRONLY)
        os.close(fd)
        os.unlink(gate)

    def run(self, ups, ntype, msg=None, args=()):
        """(rc, stdout, stderr); stdout/stderr must reach EOF: the daemon holds neither"""
        p = self.popen(ups, ntype, msg, args)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            return -999, out, err + "\nTIMEOUT (stdout/stderr held open?)"
        return p.returncode, out, err

    def markers(self):
        """[(time, word, ups, ntype, msg)]"""
        out = []
        for line in read(self.log).splitlines():
            w = line.split(" ", 4)
            w += [""] * (5 - len(w))
            out.append((float(w[0]), w[1], w[2], w[3], w[4]))
        return out

    def words(self):
        return [m[1] for m in self.markers()]

    def daemons(self):
        """live timer daemons carrying our tag: upssched processes that lead their own
        session (the daemon calls setsid; callers, a daemon's children before they exec
        CMDSCRIPT and sanitizer helper tasks do not)"""
        exe = os.path.realpath(binary("upssched"))
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/exe" % pid) != exe:
                    continue
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read()
                with open("/proc/%s/stat" % pid) as f:
                    st = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # st: state ppid pgrp session ...
            if ("SCHED_TEST_TAG=%s" % self.tag).encode() in env.split(b"\0") \
                    and st[0] != "Z" and st[3] == pid:
                found.append(int(pid))
        return sorted(found)

    def kill_daemons(self):
        for pid in self.daemons():
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


def is_socket(path):
    try:
        return (os.stat(path).st_mode & 0o170000) == 0o140000
    except OSError:
        return False


def test_env(t, s):
    rc, out, _ = s.run(None, None)
    t.ok(rc == 1 and "UPSNAME and NOTIFYTYPE must be set" in out,
         "no UPSNAME/NOTIFYTYPE: error, exit 1", "rc=%d %s" % (rc, out))
    rc, out, _ = s.run("ups@host", None)
    t.ok(rc == 1 and "UPSNAME and NOTIFYTYPE must be set" in out,
         "UPSNAME without NOTIFYTYPE: error, exit 1", "rc=%d %s" % (rc, out))


def test_execute(t, s):
    t0 = time.time()
    rc, _, err = s.run("eco@localhost", "LOWBATT", "UPS eco@localhost battery is low")
    m = s.markers()
    t.ok(rc == 0 and len(m) == 1 and m[0][1:] == ("lowbatt", "eco@localhost", "LOWBATT",
                                                   "UPS eco@localhost battery is low")
         and m[0][0] >= t0 - 1,
         "EXECUTE: CMDSCRIPT lowbatt ran before upssched returned, with UPSNAME, NOTIFYTYPE, "
         "NOTIFYMSG", "rc=%d %s %s" % (rc, m, err))
    t.ok(not os.path.exists(s.pipe) and not s.daemons(), "EXECUTE alone starts no timer daemon")
    rc, _, _ = s.run("other@localhost", "LOWBATT")
    t.ok(rc == 0 and len(s.markers()) == 1,
         "a rule for another UPS name does not fire (UPS name compared exactly)", s.markers())


def test_timers(t, s):
    t0 = time.time()
    rc, _, err = s.run("eco@localhost", "onbatt", "UPS eco@localhost on battery")
    t.ok(rc == 0 and is_socket(s.pipe) and len(s.daemons()) == 1,
         "START-TIMER (type 'onbatt' matches ONBATT): daemon started, listening on PIPEFN, "
         "caller returned", "rc=%d pipe=%s daemons=%s %s"
         % (rc, os.path.exists(s.pipe), s.daemons(), err))
    fired = wait_for(lambda: "short" in s.words(), 20)
    m = [x for x in s.markers() if x[1] == "short"]
    t.ok(fired and m[0][0] - t0 >= 1.9 and m[0][2:4] == ("eco@localhost", "onbatt")
         and m[0][4] == "UPS eco@localhost on battery",
         "timer 'short' (2 s) fired after its delay: CMDSCRIPT short with the starting "
         "event's environment", s.markers())
    rc, _, err = s.run("eco@localhost", "ONLINE")
    t.ok(rc == 0, "ONLINE: CANCEL-TIMER long online accepted", err)
    wait_for(lambda: "sentinel" in s.words(), 30)
    w = s.words()
    t.ok("sentinel" in w and "long" not in w and "online" not in w,
         "CANCEL-TIMER removed the running timer 'long' (10 s) and did not run its word "
         "(the 12 s sentinel fired, 'long' never did)", w)
    rc, _, _ = s.run("eco@localhost", "COMMOK")
    t.ok(rc == 0 and wait_for(lambda: "commok" in s.words(), 10),
         "CANCEL-TIMER of a timer that is not running, daemon up: the word runs", s.words())
    return t0


def test_idle_exit(t, s):
    last = max(m[0] for m in s.markers())
    alive = bool(s.daemons())
    t.ok(alive and is_socket(s.pipe),
         "daemon still there right after its last timer (idle time not over)", s.daemons())
    gone = wait_for(lambda: not s.daemons(), 60, 0.2)
    idle = time.time() - last
    t.ok(gone and not os.path.exists(s.pipe),
         "daemon exited once idle and removed PIPEFN (%.0f s after the last timer; "
         "NUT waits ~15 s)" % idle, s.daemons())
    # measured from the last CMDSCRIPT marker, which a loaded machine may write late
    t.ok(idle >= 10, "... not right away: it waits out its idle time", "%.1f s" % idle)


def test_no_daemon_cancel(t, s):
    n = len(s.markers())
    rc, _, _ = s.run("eco@localhost", "ONLINE")
    t.ok(rc == 0 and s.words()[n:] == ["online"] and not os.path.exists(s.pipe)
         and not s.daemons(),
         "no daemon, CANCEL-TIMER with a word: no timer can run, the word runs at once, "
         "no daemon started", s.words()[n:])
    rc, _, _ = s.run("eco@localhost", "COMMBAD")
    t.ok(rc == 0 and len(s.markers()) == n + 1 and not os.path.exists(s.pipe)
         and not s.daemons(),
         "no daemon, CANCEL-TIMER without a word: nothing to do, no daemon started",
         s.words()[n:])


def test_dash_message(t, s):
    """upsmon passes the message as the only argument: a NOTIFYMSG that starts with
    '-' is still the message (NUT's upssched never reads options), not an option"""
    for msg in ("--- UPS eco@localhost on battery ---", "-n", "-x power lost"):
        n = len(s.markers())
        rc, out, err = s.run("eco@localhost", "ONBATT", msg)
        m = s.markers()[n:]
        t.ok(rc == 0 and [x[1:] for x in m] == [("dash", "eco@localhost", "ONBATT", msg)],
             "message %r: the rule runs, NOTIFYMSG carries it" % msg,
             "rc=%d %s %s %s" % (rc, m, out, err))


def test_concurrent(t, s):
    n = 20
    g = s.gate()
    procs = [s.popen("ups%d@host" % i, "ONBATT", gate=g) for i in range(n)]
    s.release(g, procs)
    res = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    bad = [r for r in res if r[2] != 0]
    t.ok(not bad, "%d simultaneous calls on a cold start all succeed" % n, bad[:3])
    d = s.daemons()
    t.ok(len(d) == 1, "exactly one timer daemon runs", d)
    want = ["c%d" % i for i in range(n)]
    ok = wait_for(lambda: sorted(s.words()) == sorted(want), 30)
    t.ok(ok, "all %d timers fired, each once" % n, sorted(s.words()))
    t.ok(all(m[2] == "ups%s@host" % m[1][1:] for m in s.markers()),
         "each timer ran with its own event's UPSNAME", s.markers()[:5])

    # second round, one daemon already up: cancels and starts at once
    open(s.log, "w").close()
    procs = [s.popen("ups%d@host" % i, "FSD") for i in range(n)]       # start d0..d19 (20 s)
    for p in procs:
        p.communicate(timeout=60)
    g = s.gate()
    procs = [s.popen("ups%d@host" % i, "ONLINE", gate=g) for i in range(0, n, 2)]  # cancel evens
    procs += [s.popen("ups%d@host" % i, "COMMBAD", gate=g) for i in range(n)]      # start e0..e19
    s.release(g, procs)
    res = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    t.ok(all(r[2] == 0 for r in res) and len(s.daemons()) == 1,
         "30 more simultaneous calls (10 cancels, 20 starts) succeed, still one daemon",
         s.daemons())
    want = ["d%d" % i for i in range(1, n, 2)] + ["e%d" % i for i in range(n)]
    wait_for(lambda: len(s.words()) >= len(want), 45)
    ok = wait_for(lambda: sorted(s.words()) == sorted(want), 5)
    t.ok(ok, "exactly the 10 uncancelled and the 20 new timers fired", sorted(s.words()))


class Sampler(threading.Thread):
    """counts the timer daemons alive at once, every few ms, until stopped"""

    def __init__(self, s):
        super().__init__(daemon=True)
        self.s = s
        self.max = 0
        self.samples = 0
        self.seen = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            d = self.s.daemons()
            self.samples += 1
            if len(d) > self.max:
                self.max, self.seen = len(d), d
            time.sleep(0.005)


def test_exit_race(t, s):
    """idle 50 ms: the daemon exits between waves and even inside them"""
    total, failed = 0, []
    sampler = Sampler(s)
    sampler.start()
    for wave in range(6):
        procs = []
        g = s.gate() if wave % 2 == 0 else None
        for i in range(20):
            procs.append((wave, i, s.popen("w%d@%d" % (wave, i), "ONBATT", gate=g)))
            if g is None and i % 5 == 4:
                time.sleep(0.02 * wave)
        if g:
            s.release(g, [p for _, _, p in procs])
        for w, i, p in procs:
            out, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failed.append((w, i, err))
        total += len(procs)
        time.sleep(0.05 * wave)
    # then a steady trickle: 4 callers in a loop, 20-150 ms apart, against the 50 ms idle exit
    rng = random.Random(4242)
    pauses = [[rng.uniform(0.02, 0.15) for _ in range(40)] for _ in range(4)]

    def worker(k):
        for i, pause in enumerate(pauses[k]):
            p = s.popen("s%d@%d" % (k, i), "ONBATT")
            out, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failed.append(("s", k, i, err))
            time.sleep(pause)
    workers = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total += 160
    sampler.stop.set()
    sampler.join()
    t.ok(not failed, "%d calls racing the daemon's exit all succeed" % total, failed[:3])
    t.ok(sampler.max == 1, "never two timer daemons alive at once (%d samples)"
         % sampler.samples, sampler.seen)
    want = sorted(["w%d@%d" % (w, i) for w in range(6) for i in range(20)]
                  + ["s%d@%d" % (k, i) for k in range(4) for i in range(40)])
    wait_for(lambda: len(s.markers()) >= len(want), 30)
    got = sorted(m[2] for m in s.markers())
    t.ok(got == want, "every call's 0 s timer fired exactly once (%d markers)" % len(got),
         "missing %s extra %s" % (sorted(set(want) - set(got))[:5],
                                  [g for g in set(got) if got.count(g) > 1][:5]))
    t.ok(wait_for(lambda: not s.daemons() and not os.path.exists(s.pipe), 30),
         "afterwards the daemon is gone and PIPEFN removed", s.daemons())


def test_stale_pipe(t, s):
    rc, _, _ = s.run("eco@localhost", "ONBATT")
    d = s.daemons()
    t.ok(rc == 0 and len(d) == 1, "daemon started", d)
    for pid in d:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not s.daemons(), 10)
    t.ok(is_socket(s.pipe), "SIGKILL leaves a stale PIPEFN behind")
    rc, _, err = s.run("eco@localhost", "ONBATT")
    t.ok(rc == 0 and len(s.daemons()) == 1 and wait_for(lambda: "short" in s.words(), 20),
         "next call replaces the stale socket with a new daemon and its timer fires",
         "rc=%d %s %s" % (rc, s.daemons(), err))
    s.kill_daemons()
    t.ok(wait_for(lambda: not s.daemons() and not os.path.exists(s.pipe), 10),
         "SIGTERM: daemon exits and removes PIPEFN", s.daemons())


def test_config_errors(t, s):
    s.write(["AT ONBATT * START-TIMER early 1",
             "CMDSCRIPT %s" % s.script, "PIPEFN %s" % s.pipe, "LOCKFN %s" % s.lock,
             "AT ONBATT * START-TIMER bad soon",
             "AT LOWBATT * EXECUTE lowbatt",
             "AT LOWBATT * FROB x",
             "NONSENSE 1",
             "AT LOWBATT *"], head=[])
    f = s.conf
    rc, out, err = s.run("eco@localhost", "LOWBATT")
    lines = {n: "%s:%d: " % (f, n) in err for n in (1, 5, 7, 8, 9)}
    t.ok(rc == 1 and all(lines.values()),
         "bad lines: each reported as file:line on stderr, exit 1", "rc=%d %s\n%s"
         % (rc, lines, err))
    t.ok(s.words() == ["lowbatt"], "... the valid EXECUTE rule still ran", s.words())
    rc, out, err = s.run(None, None, args=["-n", "-f", f])
    t.ok(rc == 1 and "%s:1: CMDSCRIPT must be set before any ATs" % f in out
         and "%s:5: START-TIMER bad: 'soon' is not a number" % f in out
         and "%s:7: Invalid command: FROB" % f in out
         and "%s:8: invalid directive NONSENSE" % f in out
         and "%s:9: AT needs 5 words" % f in out
         and "5 error(s)" in out,
         "-n: the 5 errors reported as file:line, exit 1", "rc=%d\n%s%s" % (rc, out, err))
    missing = os.path.join(s.dir, "nonexistent.conf")
    rc, out, err = s.run(None, None, args=["-n", "-f", missing])
    t.ok(rc == 1 and missing in out, "-n on a missing file: named, exit 1", out + err)


def guide_copy(d):
    """The guide's upssched.conf with /etc/nut replaced by d (nothing else changed)."""
    text = read(os.path.join(GUIDE, "upssched.conf")).replace("/etc/nut", d)
    with open(os.path.join(d, "upssched.conf"), "w") as f:
        f.write(text)
    script = os.path.join(d, "upssched-cmd")
    with open(script, "w") as f:
        f.write(read(os.path.join(GUIDE, "upssched-cmd")))
    os.chmod(script, 0o755)
    return text


def test_check_guide(t, root):
    d = os.path.join(root, "guide")
    os.mkdir(d)
    text = guide_copy(d)
    lines = text.splitlines()
    early = 1 + next(i for i, l in enumerate(lines) if "START-TIMER earlyshutdown" in l)
    onbatt = 1 + next(i for i, l in enumerate(lines) if "START-TIMER onbatt" in l)
    env = dict(os.environ, NUT_CONFPATH=d)
    r = subprocess.run([binary("upssched"), "-n"], env=env, capture_output=True, text=True,
                       timeout=20)
    conf = os.path.join(d, "upssched.conf")
    warn = re.search(r"^%s:%d: warning: timer 'earlyshutdown' is started on ONBATT but no "
                     r"'AT ONLINE \* CANCEL-TIMER earlyshutdown'" % (re.escape(conf), early),
                     r.stdout, re.M)
    t.ok(r.returncode == 0 and warn and "OK, 9 rule(s)" in r.stdout,
         "-n on the guide's upssched.conf (from NUT_CONFPATH): exit 0, warns at line %d that "
         "earlyshutdown is never cancelled on ONLINE" % early, r.stdout + r.stderr)
    t.ok(":%d:" % onbatt not in r.stdout and "'onbatt'" not in r.stdout,
         "-n: no warning for onbatt (ONLINE cancels it)", r.stdout)


def main():
    t = Tap()
    t.bail_if_missing("upssched")
    root = tempfile.mkdtemp(prefix="nutc-upssched-")
    os.chmod(root, 0o755)
    scheds = []
    try:
        base = ["AT ONBATT eco@localhost START-TIMER short 2",
                "AT ONBATT eco@localhost START-TIMER long 10",
                "AT ONBATT eco@localhost START-TIMER sentinel 12",
                "AT ONLINE * CANCEL-TIMER long online",
                "AT COMMOK * CANCEL-TIMER nothere commok",
                "AT COMMBAD * CANCEL-TIMER nothere",
                "AT LOWBATT eco@localhost EXECUTE lowbatt"]
        s = Sched(root, "basic", base)
        scheds.append(s)
        test_env(t, s)
        test_execute(t, s)
        test_timers(t, s)
        test_idle_exit(t, s)
        test_no_daemon_cancel(t, s)

        c = Sched(root, "conc", ["AT ONBATT ups%d@host START-TIMER c%d 3" % (i, i)
                                 for i in range(20)]
                  + ["AT FSD ups%d@host START-TIMER d%d 20" % (i, i) for i in range(20)]
                  + ["AT ONLINE ups%d@host CANCEL-TIMER d%d" % (i, i) for i in range(20)]
                  + ["AT COMMBAD ups%d@host START-TIMER e%d 1" % (i, i) for i in range(20)])
        scheds.append(c)
        test_concurrent(t, c)

        r = Sched(root, "race", ["AT ONBATT * START-TIMER z 0"], idle_ms=50)
        scheds.append(r)
        test_exit_race(t, r)

        k = Sched(root, "stale", ["AT ONBATT * START-TIMER short 1"])
        scheds.append(k)
        test_stale_pipe(t, k)

        d = Sched(root, "dash", ["AT ONBATT * EXECUTE dash"])
        scheds.append(d)
        test_dash_message(t, d)

        e = Sched(root, "errors", [])
        scheds.append(e)
        test_config_errors(t, e)

        test_check_guide(t, root)
    finally:
        for s in scheds:
            s.kill_daemons()
        if not os.environ.get("KEEP_TMP"):
            subprocess.run(["rm", "-rf", root])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
