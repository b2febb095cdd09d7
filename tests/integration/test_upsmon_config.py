#!/usr/bin/env python3
"""upsmon configuration, command line and process model.

* upsmon -n: the setup guide's client upsmon.conf (tests/data/setup-guide/upsmon.conf,
  unchanged) -> exit 0 and one summary line; a file with many bad lines -> every one
  reported as file:line: message, exit 1
* the guide's file also starts unchanged (it names RUN_AS_USER root, an unresolvable
  host, /etc/killpower and /usr/sbin/upssched: run only as root and only when neither
  of those two files exists, else SKIP)
* at startup an unknown directive is a warning naming file:line, and upsmon runs
* MINSUPPLIES above the configured power: refuses to start
* a second instance is refused; -c with a bad word exits 1
* -c reload (SIGHUP): MONITOR lines added and removed take effect
* POWERDOWNFLAG: a stale flag with the magic is removed at startup; one with foreign
  content is left alone and disabled; -K without POWERDOWNFLAG exits 1
* background start (PID file, child as the run-as user), -c stop; -p (one process) shutdown
* FORCESSL 1 against a server without TLS: upsmon refuses plaintext (says so, never logs in)
"""
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (DATADIR, Stack, Tap, Upsmon, binary, need_binaries,  # noqa: E402
                           read, wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))
GUIDE_CONF = os.path.join(DATADIR, "setup-guide", "upsmon.conf")

BAD = """MONITOR good@127.0.0.1 1 u p primary
FROBNICATE 1
POLLFREQ soon
MONITOR old@localhost 1 pass master
NOTIFYFLAG ONBATT SYSLOG+BEEP
NOTIFYMSG NOSUCHTYPE "x %s"
DEADTIME -3
MONITOR bad@host 1 u p boss
CERTHOST host cert 2 0
SHUTDOWNCMD
"""
BAD_LINES = [2, 3, 4, 5, 6, 7, 8, 9, 10]


def sysname(st, ups="ups"):
    return "%s@127.0.0.1:%d" % (ups, st.port)


def run(argv, env=None, timeout=20):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       env=env or os.environ, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def reported(text, fname, line):
    return re.search(r"%s:%d: \S" % (re.escape(fname), line), text) is not None


def check_mode(tap, tmp):
    rc, out = run([binary("upsmon"), "-n", "-f", GUIDE_CONF])
    lines = [ln for ln in out.splitlines() if ln.strip()]
    tap.ok(rc == 0 and len(lines) == 1 and lines[0].startswith("Configuration OK"),
           "-n: the guide's client upsmon.conf: exit 0, one summary line", out)
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write(BAD)
    rc, out = run([binary("upsmon"), "-n", "-f", bad])
    missing = [n for n in BAD_LINES if not reported(out, bad, n)]
    tap.ok(rc == 1 and not missing, "-n: every bad line reported as file:line: message, exit 1",
           "rc=%d missing=%s\n%s" % (rc, missing, out))
    tap.ok(not reported(out, bad, 1), "-n: the good MONITOR line is not reported", out)
    rc, out = run([binary("upsmon"), "-n", "-f", os.path.join(tmp, "nonexistent.conf")])
    tap.ok(rc == 1 and "nonexistent.conf" in out, "-n: a missing file is an error naming it",
           out)


def guide_start(tap, tmp):
    name = "the guide's upsmon.conf starts unchanged"
    if os.geteuid() != 0:
        tap.skip(name, "needs root (RUN_AS_USER root)")
        return
    for path in ("/etc/killpower", "/usr/sbin/upssched"):
        if os.path.exists(path):
            tap.skip(name, "%s exists on this machine and the file names it" % path)
            return
    st = Stack("guide")
    try:
        conf = os.path.join(st.conf, "upsmon.conf")
        shutil.copy(GUIDE_CONF, conf)
        env = dict(st.env)
        proc = st.spawn([binary("upsmon"), "-F", "-D", "-f", conf], "guide.log", env=env)
        pidfile = os.path.join(st.state, "upsmon.pid")
        log = lambda: st.logtail("guide.log", 40)  # noqa: E731
        ok = wait_for(lambda: "Trying to connect to UPS [apcname@IP_ADRESS]" in log()
                      or proc.poll() is not None, 20)
        tap.ok(ok and proc.poll() is None and os.path.exists(pidfile),
               name + ": runs, tries apcname@IP_ADRESS, writes its PID file", log())
        tap.ok("UPS: apcname@IP_ADRESS (secondary) (power value 1)" in log()
               and "Using power down flag file /etc/killpower" in log(),
               "... and reads it as NUT does (secondary, power value 1, /etc/killpower)", log())
        proc.terminate()
        tap.ok(proc.wait(10) == 0, "... and stops on SIGTERM with exit 0", log())
    finally:
        st.cleanup(KEEP)


def startup(tap):
    st = Stack("conf", ups=("ups", "ups2"))
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   extra="FROBNICATE yes")
        p.start()
        tap.ok(wait_for(lambda: st.numlogins() == 1, 10),
               "startup: an unknown directive does not stop upsmon", p.log())
        lineno = read(p.conffile).splitlines().index("FROBNICATE yes") + 1
        tap.ok(reported(p.log(200), p.conffile, lineno) and "FROBNICATE" in p.log(200),
               "startup: ... it is a warning naming file:line", p.log(200))
        rc, out = run([binary("upsmon"), "-F", "-f", p.conffile], env=p.env)
        tap.ok(rc == 1 and "A previous upsmon instance is already running" in out,
               "a second instance is refused", out)
        rc, out = run([binary("upsmon"), "-c", "frob"], env=p.env)
        tap.ok(rc == 1, "-c with an unknown command exits 1", out)
        # reload: the role of ups changes, ups2 is added; then ups is removed
        with open(p.conffile) as f:
            text = f.read()
        text = text.replace("MONITOR %s 1 admin adminpass primary" % sysname(st),
                            "MONITOR %s 1 monuser secret secondary\nMONITOR %s 1 monuser secret "
                            "secondary" % (sysname(st), sysname(st, "ups2")))
        with open(p.conffile, "w") as f:
            f.write(text)
        r = p.cmd("-c", "reload")
        tap.ok(r.returncode == 0, "-c reload exits 0", r.stdout + r.stderr)
        tap.ok(wait_for(lambda: st.numlogins("ups2") == 1, 15),
               "reload: the new MONITOR line is logged in", p.log())
        tap.ok(wait_for(lambda: "redefined as a secondary" in p.log(200), 5),
               "reload: a changed role is applied", p.log(60))
        text = text.replace("MONITOR %s 1 monuser secret secondary\n" % sysname(st), "")
        with open(p.conffile, "w") as f:
            f.write(text)
        p.cmd("-c", "reload")
        tap.ok(wait_for(lambda: st.numlogins("ups") == 0, 15)
               and "No longer monitoring UPS [%s]" % sysname(st) in p.log(200),
               "reload: a removed MONITOR line is dropped (logged out)", p.log(60))
        with open(p.conffile, "w") as f:
            f.write(text + "MINSUPPLIES 5\n")
        p.cmd("-c", "reload")
        tap.ok(wait_for(lambda: "Reload failed" in p.log(200), 10) and p.proc.poll() is None
               and st.numlogins("ups2") == 1,
               "reload: a file with too little power is refused, upsmon keeps running",
               p.log(30))
        p.stop()
        # MINSUPPLIES above the configured power
        with open(p.conffile, "w") as f:
            f.write(text + "MINSUPPLIES 3\n")
        rc, out = run([binary("upsmon"), "-F", "-f", p.conffile], env=p.env)
        tap.ok(rc == 1 and "insufficient power configured" in out,
               "MINSUPPLIES above the power configured: refuses to start", out)
    finally:
        st.cleanup(KEEP)


def pdflag(tap):
    st = Stack("flag")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        with open(p.pdflag, "w") as f:
            f.write("upsmon-shutdown-file")
        tap.ok(p.cmd("-K").returncode == 0, "-K: a flag with the magic: exit 0")
        p.start()
        tap.ok(wait_for(lambda: not os.path.exists(p.pdflag), 10),
               "startup removes a stale POWERDOWNFLAG", p.log())
        tap.ok(p.cmd("-K").returncode == 1, "-K: no flag: exit 1")
        p.stop()
        with open(p.pdflag, "w") as f:
            f.write("precious data\n")
        r = p.cmd("-K")
        tap.ok(r.returncode == 1, "-K: a flag with foreign content: exit 1", r.stdout + r.stderr)
        p.start()
        tap.ok(wait_for(lambda: "does not contain the upsmon magic" in p.log(100), 10)
               and read(p.pdflag) == "precious data\n",
               "startup: foreign content is reported and left alone", p.log())
        p.stop()
        with open(p.conffile) as f:
            text = f.read()
        with open(p.conffile, "w") as f:
            f.write("\n".join(l for l in text.splitlines() if not l.startswith("POWERDOWNFLAG")))
        r = p.cmd("-K")
        tap.ok(r.returncode == 1, "-K without POWERDOWNFLAG: exit 1", r.stdout + r.stderr)
    finally:
        st.cleanup(KEEP)


def modes(tap):
    st = Stack("modes")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        argv = [binary("upsmon"), "-f", p.conffile] + (["-u", p.user] if p.user else [])
        rc, out = run(argv, env=p.env)
        tap.ok(rc == 0 and wait_for(p.pid, 10) and wait_for(lambda: st.numlogins() == 1, 10),
               "background start: exit 0, PID file, logged in", out)
        pid = p.pid()
        uid = read("/proc/%d/status" % pid).split("Uid:")[1].split()[0] if pid else "?"
        want = str(pwd.getpwnam(p.user).pw_uid) if p.user else str(os.geteuid())
        tap.ok(uid == want, "the monitoring child runs as %s" % p.user, uid)
        r = p.cmd("-c", "stop")
        tap.ok(r.returncode == 0 and wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10)
               and wait_for(lambda: p.pid() is None, 5) and st.numlogins() == 0,
               "-c stop: the background upsmon exits, removes its PID file, logs out",
               r.stdout + r.stderr)
        p.start("-p")
        wait_for(lambda: st.numlogins() == 1, 10)
        st.set_status("OB LB", wait=False)
        tap.ok(wait_for(p.shut_down, 15) and read(p.pdflag) == "upsmon-shutdown-file"
               and p.wait_exit(10) == 0 and "one big root process" in p.log(100),
               "-p (one process): the shutdown runs in-process, flag written, exit 0", p.log())
    finally:
        st.cleanup(KEEP)


def forcessl(tap):
    st = Stack("ssl")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   extra="FORCESSL 1")
        p.start()
        tap.ok(p.wait_event("COMMBAD", 10) and "refusing to talk plaintext" in p.log(100),
               "FORCESSL 1: refuses plaintext, says why, COMMBAD", p.log())
        tap.ok(st.numlogins() == 0, "FORCESSL 1: never logged in", st.numlogins())
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upsmon", "upsd", "dummy-ups"])
    tmp = tempfile.mkdtemp(prefix="upsmon-conf-")
    try:
        for fn in (check_mode, guide_start):
            fn(tap, tmp)
        for fn in (startup, pdflag, modes, forcessl):
            try:
                fn(tap)
            except Exception as e:
                tap.ok(False, "%s ran to the end" % fn.__name__, repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
