#!/usr/bin/env python3
"""upsmon without a power event: config checking (-n), -K, -c, the single
instance rule, SIGHUP reload, NOPARENT, and the shutdown path through
-c fsd in split and -p mode (against a port nobody listens on).
"""
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (DATADIR, Stack, Tap, Upsmon, binary, free_port,  # noqa: E402
                           need_binaries, read, run_user, wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))


def upsmon(args, env=None, timeout=20):
    return subprocess.run([binary("upsmon")] + args, env=env or os.environ,
                          capture_output=True, text=True, timeout=timeout)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def check_mode(tap, tmp):
    guide = os.path.join(DATADIR, "setup-guide", "upsmon.conf")
    r = upsmon(["-n", "-f", guide])
    tap.ok(r.returncode == 0 and "0 error(s)" in r.stdout,
           "-n accepts the setup guide's upsmon.conf as written", r.stdout + r.stderr)

    bad = write(os.path.join(tmp, "unknown.conf"),
                "MONITOR ups@localhost 1 u p primary\nFROBNICATE 1\nPOLLFREQ 5\n")
    r = upsmon(["-n", "-u", "root", "-f", bad])
    tap.ok(r.returncode == 1 and "%s:2: invalid directive FROBNICATE 1" % bad in r.stderr,
           "-n: unknown directive is an error with file:line", r.stderr)

    bad = write(os.path.join(tmp, "value.conf"),
                "MONITOR ups@localhost 1 u p primary\nPOLLFREQ soon\nDEADTIME -3\n")
    r = upsmon(["-n", "-u", "root", "-f", bad])
    tap.ok(r.returncode == 1 and "%s:2: POLLFREQ: invalid value 'soon'" % bad in r.stderr
           and "%s:3: DEADTIME" % bad in r.stderr,
           "-n: every bad number reported with file:line", r.stderr)

    bad = write(os.path.join(tmp, "old.conf"), "MONITOR ups@localhost 1 pass primary\n")
    r = upsmon(["-n", "-u", "root", "-f", bad])
    tap.ok(r.returncode == 1 and "old-style MONITOR line without a username" in r.stderr,
           "-n: 5-word MONITOR line rejected", r.stderr)

    bad = write(os.path.join(tmp, "pv.conf"),
                "MONITOR ups@localhost 0 u p primary\nMINSUPPLIES 1\n")
    r = upsmon(["-n", "-u", "root", "-f", bad])
    tap.ok(r.returncode == 1 and "insufficient power" in r.stderr,
           "-n: power values below MINSUPPLIES reported", r.stderr)

    ok = write(os.path.join(tmp, "new.conf"),
               "MONITOR ups@localhost 1 u p secondary\nOFFDURATION 30\nSHUTDOWNEXIT no\n"
               "OBLBDURATION 5\nALARMCRITICAL 1\nNOTIFYFLAG OFF SYSLOG\nSHUTDOWNCMD \"x\"\n")
    r = upsmon(["-n", "-u", "root", "-f", ok])
    tap.ok(r.returncode == 0, "-n: 2.8.1+ directives accepted", r.stdout + r.stderr)


def powerdown_flag(tap, tmp):
    flag = os.path.join(tmp, "killpower")
    conf = write(os.path.join(tmp, "k.conf"),
                 "MONITOR ups@localhost 1 u p primary\nPOWERDOWNFLAG %s\n" % flag)
    r = upsmon(["-K", "-f", conf])
    tap.ok(r.returncode == 1, "-K: exit 1 when POWERDOWNFLAG is absent", r.stderr)
    write(flag, "upsmon-shutdown-file")
    r = upsmon(["-K", "-f", conf])
    tap.ok(r.returncode == 0, "-K: exit 0 when POWERDOWNFLAG holds the magic", r.stderr)
    write(flag, "something else")
    r = upsmon(["-K", "-f", conf])
    tap.ok(r.returncode == 1, "-K: exit 1 for a flag file with foreign content", r.stderr)
    conf2 = write(os.path.join(tmp, "k2.conf"), "MONITOR ups@localhost 1 u p primary\n")
    r = upsmon(["-K", "-f", conf2])
    tap.ok(r.returncode == 1, "-K: exit 1 when POWERDOWNFLAG is not configured", r.stderr)


def dead_stack(tag):
    """A Stack tree whose port nobody listens on (no server started)."""
    return Stack(tag)


def instances(tap):
    st = dead_stack("inst")
    try:
        sysname = "ups@127.0.0.1:%d" % st.port
        m = Upsmon(st, "m", ["%s 1 admin adminpass primary" % sysname],
                   settings={"NOCOMMWARNTIME": 1})
        r = m.cmd("-c", "stop")
        tap.ok(r.returncode == 1, "-c stop without a running upsmon exits 1", r.stderr)
        m.start()
        tap.ok(wait_for(lambda: m.pid() is not None, 10), "PID file written", m.log())
        tap.ok(m.wait_event("COMMBAD", 5), "unreachable server at start: COMMBAD", m.log())
        tap.ok(m.wait_event("NOCOMM", 5), "unreachable server at start: NOCOMM follows", m.log())
        child = m.pid()
        uid = None
        for line in read("/proc/%d/status" % child).splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
        user = run_user()
        tap.ok(user is None or uid == pwd.getpwnam(user).pw_uid,
               "child runs as the unprivileged user (%s)" % user, uid)
        tap.ok(child != m.proc.pid, "PID file holds the child, not the root parent")
        r = upsmon(["-F", "-f", m.conffile], env=m.env, timeout=10)
        tap.ok(r.returncode == 1 and "already running" in r.stdout,
               "a second instance refuses to start", r.stdout + r.stderr)

        # reload: a new MONITOR line is picked up, a removed one dropped
        sys2 = "ups2@127.0.0.1:%d" % st.port
        with open(m.conffile) as f:
            text = f.read()
        write(m.conffile, text.replace("MONITOR %s" % sysname, "MONITOR %s" % sys2))
        r = m.cmd("-c", "reload")
        tap.ok(r.returncode == 0, "-c reload exits 0", r.stderr)
        tap.ok(wait_for(lambda: any(e[2] == sys2 for e in m.events()), 5),
               "reload: the new UPS is polled (COMMBAD for it)", m.log())
        tap.ok(wait_for(lambda: "No longer monitoring UPS [%s]" % sysname in m.log(200), 5),
               "reload: the removed UPS is dropped", m.log())

        # the root parent dies: the child says NOPARENT
        os.kill(m.proc.pid, signal.SIGKILL)
        tap.ok(m.wait_event("NOPARENT", 5), "NOPARENT when the root parent dies", m.log())
        os.kill(child, signal.SIGTERM)
        tap.ok(wait_for(lambda: not os.path.exists("/proc/%d" % child)
                        or "Z" in read("/proc/%d/stat" % child).split()[2:3], 5),
               "child exits on SIGTERM")
    finally:
        st.cleanup(KEEP)


def user_fsd(tap, split):
    tag = "fsd" if split else "fsdp"
    st = dead_stack(tag)
    try:
        m = Upsmon(st, "m", ["ups@127.0.0.1:%d 1 admin adminpass primary" % st.port],
                   settings={"FINALDELAY": 1})
        m.start(*([] if split else ["-p"]))
        wait_for(lambda: m.pid() is not None, 10)
        m.wait_event("COMMBAD", 5)
        r = m.cmd("-c", "fsd")
        tap.ok(r.returncode == 0, "%s: -c fsd exits 0" % tag, r.stderr)
        tap.ok(wait_for(m.shut_down, 10), "%s: -c fsd runs SHUTDOWNCMD" % tag, m.log())
        tap.ok(read(m.marker).split()[1:] == ["0"], "%s: SHUTDOWNCMD runs as root" % tag,
               read(m.marker))
        tap.ok("User requested FSD" in m.log(100), "%s: logged the user FSD" % tag)
        tap.ok(m.types()[-1:] == ["SHUTDOWN"] and "Executing automatic power-fail shutdown"
               in m.log(100), "%s: SHUTDOWN notified" % tag, m.types())
        tap.ok(m.wait_exit(10) == 0, "%s: upsmon exits after the shutdown" % tag, m.log())
        tap.ok(read(m.pdflag) == "upsmon-shutdown-file", "%s: POWERDOWNFLAG written" % tag)
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upsmon"])
    tmp = tempfile.mkdtemp(prefix="upsmon-conf-")
    try:
        check_mode(tap, tmp)
        powerdown_flag(tap, tmp)
        instances(tap)
        user_fsd(tap, True)
        user_fsd(tap, False)
    finally:
        if not KEEP:
            subprocess.run(["rm", "-rf", tmp])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
