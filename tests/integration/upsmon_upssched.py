#!/usr/bin/env python3
"""upssched: the setup guide's upssched.conf and upssched-cmd end to end
with upsmon (f), plus upssched alone: timers, cancel, EXECUTE, concurrent
invocations sharing one timer daemon, idle exit, and -n.

tests/data/setup-guide/ holds the guide's files verbatim; the test copies
rewrite only the paths (CMDSCRIPT, PIPEFN, LOCKFN), `logger` (to a log
file) and /usr/sbin/upsmon (to our build, with the test's PID dir).
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (DATADIR, Stack, Tap, Upsmon, binary, need_binaries,  # noqa: E402
                           read, wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))
GUIDE = os.path.join(DATADIR, "setup-guide")


def guide_files(dirpath, cmdlog):
    """Test copies of the guide's upssched.conf and upssched-cmd in dirpath."""
    pipedir = os.path.join(dirpath, "upssched")
    os.makedirs(pipedir, exist_ok=True)
    os.chmod(pipedir, 0o777)
    script = os.path.join(dirpath, "upssched-cmd")
    text = read(os.path.join(GUIDE, "upssched-cmd"))
    text = text.replace("logger -t upssched-cmd", "echo >>%s" % cmdlog)
    text = text.replace("/usr/sbin/upsmon", binary("upsmon"))
    with open(script, "w") as f:
        f.write(text)
    os.chmod(script, 0o755)
    conf = os.path.join(dirpath, "upssched.conf")
    text = read(os.path.join(GUIDE, "upssched.conf"))
    text = text.replace("/etc/nut/upssched-cmd", script)
    text = text.replace("/etc/nut/upssched.pipe", os.path.join(pipedir, "upssched.pipe"))
    text = text.replace("/etc/nut/upssched.lock", os.path.join(pipedir, "upssched.lock"))
    with open(conf, "w") as f:
        f.write(text)
    os.chmod(conf, 0o644)
    return conf, script, os.path.join(pipedir, "upssched.pipe")


def daemons(confpath):
    """live upssched processes started with this config (the timer daemons)"""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        cmd = read("/proc/%s/cmdline" % pid).split("\0")
        stat = read("/proc/%s/stat" % pid).split()
        if cmd and cmd[0].endswith("upssched") and confpath in cmd and stat[2:3] != ["Z"]:
            out.append(int(pid))
    return out


def upssched(conf, ups, ntype, env=None):
    e = dict(env or os.environ)
    if ups is not None:
        e["UPSNAME"] = ups
    if ntype is not None:
        e["NOTIFYTYPE"] = ntype
    return subprocess.Popen([binary("upssched"), "-f", conf, "message text"], env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_mode(tap, tmp):
    conf, _, _ = guide_files(tmp, os.path.join(tmp, "cmd.log"))
    r = subprocess.run([binary("upssched"), "-n", "-f", conf], capture_output=True, text=True)
    tap.ok(r.returncode == 0, "-n: the guide's upssched.conf has no error", r.stdout + r.stderr)
    tap.ok("timer 'earlyshutdown' is started on ONBATT" in r.stderr
           and "'onbatt' is started" not in r.stderr,
           "-n: warns that earlyshutdown is never cancelled on ONLINE (and only that one)",
           r.stderr)
    tap.ok("same rule as line" in r.stderr, "-n: warns about the duplicated SHUTDOWN rule",
           r.stderr)
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("AT ONBATT * START-TIMER x 5\nCMDSCRIPT /bin/true\nPIPEFN %s/p\nLOCKFN %s/l\n"
                "AT ONBATT * START-TIMER y soon\nAT ONBATT * FROB z\n" % (tmp, tmp))
    r = subprocess.run([binary("upssched"), "-n", "-f", bad], capture_output=True, text=True)
    tap.ok(r.returncode == 1 and "%s:1: CMDSCRIPT must be set before any ATs" % bad in r.stderr
           and "%s:5:" % bad in r.stderr and "%s:6: Invalid command: FROB" % bad in r.stderr,
           "-n: AT before CMDSCRIPT, bad seconds, unknown command reported with file:line",
           r.stderr)
    p = upssched(conf, None, None)
    out, _ = p.communicate(timeout=10)
    tap.ok(p.returncode == 1 and "UPSNAME and NOTIFYTYPE must be set" in out,
           "without UPSNAME/NOTIFYTYPE: error, exit 1", out)


def standalone(tap, tmp):
    cmdlog = os.path.join(tmp, "alone.log")
    script = os.path.join(tmp, "cmd.sh")
    with open(script, "w") as f:
        f.write('#!/bin/sh\necho "$1 $UPSNAME $NOTIFYTYPE" >> %s\n' % cmdlog)
    os.chmod(script, 0o755)
    conf = os.path.join(tmp, "alone.conf")
    lines = ["CMDSCRIPT %s" % script, "PIPEFN %s/alone.pipe" % tmp,
             "LOCKFN %s/alone.lock" % tmp,
             "AT ONBATT * START-TIMER short 1",
             "AT ONBATT * START-TIMER long 3",
             "AT ONLINE * CANCEL-TIMER long online",
             "AT LOWBATT * EXECUTE lowbatt",
             "AT COMMOK * CANCEL-TIMER nothere commok"]
    lines += ["AT FSD u%d START-TIMER t%d 2" % (i, i) for i in range(8)]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")

    p = upssched(conf, "ups@h", "LOWBATT")
    p.communicate(timeout=10)
    tap.ok(p.returncode == 0 and read(cmdlog) == "lowbatt ups@h LOWBATT\n",
           "EXECUTE runs CMDSCRIPT at once with UPSNAME/NOTIFYTYPE", read(cmdlog))
    tap.ok(not os.path.exists(os.path.join(tmp, "alone.pipe")),
           "EXECUTE alone starts no timer daemon")

    p = upssched(conf, "ups@h", "onbatt")
    p.communicate(timeout=10)
    tap.ok(p.returncode == 0 and os.path.exists(os.path.join(tmp, "alone.pipe")),
           "START-TIMER starts the timer daemon (notify type matched case-insensitively)")
    tap.ok(wait_for(lambda: "short ups@h onbatt" in read(cmdlog), 4),
           "timer expires: CMDSCRIPT <name> with the event's env", read(cmdlog))
    p = upssched(conf, "ups@h", "ONLINE")
    p.communicate(timeout=10)
    time.sleep(3)
    tap.ok("long" not in read(cmdlog) and "online" not in read(cmdlog),
           "CANCEL-TIMER cancels a running timer (and does not run its command)", read(cmdlog))
    p = upssched(conf, "ups@h", "COMMOK")
    p.communicate(timeout=10)
    tap.ok(wait_for(lambda: "commok ups@h COMMOK" in read(cmdlog), 3),
           "CANCEL-TIMER of a timer that is not running runs its command", read(cmdlog))

    procs = [upssched(conf, "u%d" % i, "FSD") for i in range(8)]
    for p in procs:
        p.communicate(timeout=20)
    tap.ok(all(p.returncode == 0 for p in procs), "8 concurrent invocations all succeed")
    tap.ok(len(daemons(conf)) == 1, "one timer daemon serves them all", daemons(conf))
    tap.ok(wait_for(lambda: all("t%d u%d FSD" % (i, i) in read(cmdlog) for i in range(8)), 5),
           "no request lost: all 8 timers fire", read(cmdlog))
    tap.ok(wait_for(lambda: not daemons(conf), 20)
           and not os.path.exists(os.path.join(tmp, "alone.pipe")),
           "the daemon exits (and removes PIPEFN) once idle", daemons(conf))


def scenario_f(tap):
    """upsmon + the guide's upssched.conf: ONBATT, power back after 3 s, earlyshutdown at 30 s"""
    st = Stack("f")
    try:
        st.start()
        cmdlog = os.path.join(st.logs, "upssched-cmd.log")
        open(cmdlog, "w").close()
        os.chmod(cmdlog, 0o666)
        conf, _, pipe = guide_files(st.conf, cmdlog)
        os.rename(conf, os.path.join(st.conf, "upssched.conf"))
        flags = "\n".join("NOTIFYFLAG %s SYSLOG+EXEC" % t for t in
                          ("ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD",
                           "SHUTDOWN", "NOCOMM"))
        p = Upsmon(st, "p", ["ups@127.0.0.1:%d 1 admin adminpass primary" % st.port])
        wrapper = st.path("notify-upssched.sh")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\necho "$(date +%%s.%%N) $NOTIFYTYPE $UPSNAME" >> %s\nexec %s "$@"\n'
                    % (p.notify_log, binary("upssched")))
        os.chmod(wrapper, 0o755)
        with open(p.conffile) as f:
            text = f.read()
        text = "\n".join(l for l in text.splitlines()
                         if not l.startswith("NOTIFYCMD") and not l.startswith("NOTIFYFLAG"))
        with open(p.conffile, "w") as f:
            f.write(text + '\nNOTIFYCMD "%s"\n%s\n' % (wrapper, flags))
        p.start()
        time.sleep(2)
        st.set_status("OB DISCHRG")
        t_ob = time.time()
        tap.ok(p.wait_event("ONBATT", 5), "f: ONBATT", p.log())
        tap.ok(wait_for(lambda: os.path.exists(pipe), 5), "f: upssched started its timer daemon")
        time.sleep(2)
        st.set_status("OL")
        tap.ok(p.wait_event("ONLINE", 5), "f: ONLINE after 3 s", p.log())
        tap.ok(wait_for(p.shut_down, 40 - (time.time() - t_ob)),
               "f: earlyshutdown (started on ONBATT, never cancelled) runs upsmon -c fsd: shutdown",
               p.log() + "\n" + read(cmdlog))
        elapsed = time.time() - t_ob
        tap.ok(elapsed >= 29, "f: ... 30 s after ONBATT (%.1f s)" % elapsed)
        tap.ok(read(cmdlog).strip().splitlines() == ["UPS on battery too long, early shutdown"],
               "f: CMDSCRIPT ran earlyshutdown only (onbatt was cancelled by ONLINE)",
               read(cmdlog))
        tap.ok("User requested FSD" in p.log(200) and p.types()[-1:] == ["SHUTDOWN"],
               "f: upsmon took the user FSD path", p.types())
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upssched"])
    tmp = tempfile.mkdtemp(prefix="upssched-")
    os.chmod(tmp, 0o755)
    try:
        check_mode(tap, tmp)
        standalone(tap, tmp)
    finally:
        if not KEEP:
            subprocess.run(["rm", "-rf", tmp])
    if binary("upsd") and binary("dummy-ups") and binary("upsmon"):
        try:
            scenario_f(tap)
        except Exception as e:
            tap.ok(False, "f: scenario ran", repr(e))
    else:
        tap.skip("f: upsmon + upssched scenario", "upsd/dummy-ups/upsmon not built")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
