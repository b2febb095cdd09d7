#!/usr/bin/env python3
"""upsmon: shutdowns that must not happen, and power-offs that must not be missed.
Our upsd + dummy-ups; with $NUTREF, Debian's upsmon 2.8.0 runs beside ours as the
reference for what NUT does.

 a  a UPS last seen on bypass, calibrating and with an alarm (ALARM, ups.alarm):
    upsd restarted, then the driver stalls (DATA-STALE); both shorter than DEADTIME:
    COMMBAD/COMMOK, no shutdown (NUT 2.8.0 agrees). After a reload to a short
    DEADTIME, the same UPS silent past DEADTIME is taken as dead: shutdown.
 b  upsmon -K answers from POWERDOWNFLAG even when another upsmon.conf line is
    invalid (the late shutdown must still power the UPS off): exit 0 with the flag,
    1 without (Debian's upsmon 2.8.0 agrees)
 c  device text (ups.alarm with $(...), backquotes, quotes, a backslash) reaches
    NOTIFYCMD's $1 and wall unchanged and is never run by the shell
 d  a reload with an invalid value: refused with file:line, the old configuration
    (MONITOR list included) stays in force and still shuts the host down
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upsmon_common import (Stack, Tap, Upsmon, need_binaries, nutref, read,  # noqa: E402
                           ref_binary, ref_env, wait_for)

KEEP = bool(os.environ.get("KEEP_TMP"))
MAGIC = "upsmon-shutdown-file"


def sysname(st, ups="ups"):
    return "%s@127.0.0.1:%d" % (ups, st.port)


def diag(*mons):
    return "\n".join("--- %s: %s\n%s" % (m.tag, m.types(), m.log(25)) for m in mons)


def with_ref():
    return nutref() is not None and ref_binary("upsmon") is not None


def scenario_a(tap):
    """last seen BYPASS/CAL/ALARM: upsd restart and DATA-STALE are not a power failure"""
    st = Stack("safe-a")
    st._write("upsd.conf", "LISTEN 127.0.0.1 %d\nMAXAGE 4\n" % st.port)
    mons = []
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                   settings={"DEADTIME": 120})
        mons.append(p)
        if with_ref():
            r = Upsmon(st, "r", ["%s 1 monuser secret secondary" % sysname(st)],
                       settings={"DEADTIME": 120}, impl="ref")
            mons.append(r)
        for m in mons:
            m.start()
        tap.ok(wait_for(lambda: st.numlogins() == len(mons), 15), "a: logged in",
               diag(*mons))
        st.set_status("ALARM OL CAL BYPASS", extra={"ups.alarm": "Fan failure!"})
        tap.ok(p.wait_event("BYPASS", 10) and p.wait_event("ALARM", 10),
               "a: ours saw BYPASS and ALARM", diag(p))

        st.stop_upsd()
        tap.ok(p.wait_event("COMMBAD", 15), "a: upsd stopped: COMMBAD", diag(p))
        fails = p.log(400).count("failed")
        wait_for(lambda: p.log(400).count("failed") >= fails + 2, 10)
        st.start_upsd()
        tap.ok(all(m.wait_event("COMMOK", 20) for m in mons),
               "a: upsd back: COMMOK (every upsmon)", diag(*mons))
        tap.ok(not any(m.shut_down() for m in mons) and p.proc.poll() is None,
               "a: no shutdown across the upsd restart", diag(*mons))

        drv = st.procs[0]
        drv.send_signal(signal.SIGSTOP)
        try:
            tap.ok(p.wait_event("COMMBAD", 20, 2), "a: driver stalled (DATA-STALE): COMMBAD",
                   diag(p))
            fails = p.log(400).count("failed")
            wait_for(lambda: p.log(400).count("failed") >= fails + 2, 10)
        finally:
            drv.send_signal(signal.SIGCONT)
        tap.ok(p.wait_event("COMMOK", 20, 2), "a: driver back: COMMOK", diag(p))
        tap.ok(not any(m.shut_down() for m in mons),
               "a: no shutdown across the stale driver", diag(*mons))
        if len(mons) > 1:
            tap.ok(mons[1].types().count("COMMBAD") >= 1 and not mons[1].shut_down(),
                   "a: Debian's upsmon 2.8.0 agrees (COMMBAD, no shutdown)", diag(mons[1]))
        else:
            tap.skip("a: Debian's upsmon 2.8.0 agrees", "no $NUTREF")

        if len(mons) > 1:
            mons[1].stop()
        p.write(["%s 1 admin adminpass primary" % sysname(st)], settings={"DEADTIME": 3})
        res = p.cmd("-c", "reload")
        tap.ok(res.returncode == 0 and wait_for(lambda: "Reloading" in p.log(400), 10),
               "a: reloaded with DEADTIME 3", res.stdout + res.stderr)
        t_gone = time.time()
        st.stop_upsd()
        tap.ok(wait_for(p.shut_down, 25), "a: silent past DEADTIME: taken as dead, shutdown",
               diag(p))
        tap.ok(p.marker_time() is not None and p.marker_time() - t_gone >= 3 - 0.5
               and "assuming it dead" in p.log(400),
               "a: ... only once DEADTIME passed, saying why",
               "%.2f s\n%s" % ((p.marker_time() or 0) - t_gone, p.log(30)))
    finally:
        for m in mons:
            m.stop()
        st.cleanup(KEEP)


def check_flag(m, conf_dir):
    """rc of `upsmon -K` (ours with -f, Debian's through NUT_CONFPATH/upsmon.conf)"""
    import subprocess
    if m.impl == "ref":
        env = ref_env(dict(m.env, NUT_CONFPATH=conf_dir))
        r = subprocess.run([m.exe(), "-K"], env=env, capture_output=True, text=True,
                           timeout=20)
        return r.returncode, r.stdout + r.stderr
    r = m.cmd("-K")
    return r.returncode, r.stdout + r.stderr


def scenario_b(tap):
    """-K with an invalid line elsewhere in upsmon.conf"""
    st = Stack("safe-b")
    try:
        mons = [Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)],
                       extra="DEADTIME 15s\nPOLLFREQ 0\nFROBNICATE 1")]
        if with_ref():
            mons.append(Upsmon(st, "r", ["%s 1 admin adminpass primary" % sysname(st)],
                               extra="DEADTIME 15s\nPOLLFREQ 0\nFROBNICATE 1", impl="ref"))
        for m in mons:
            conf_dir = st.mkdir("conf-" + m.tag)
            with open(os.path.join(conf_dir, "upsmon.conf"), "w") as f:
                f.write(read(m.conffile))
            who = "ours" if m.impl == "ours" else "Debian's 2.8.0"
            with open(m.pdflag, "w") as f:
                f.write(MAGIC)
            rc, out = check_flag(m, conf_dir)
            tap.ok(rc == 0 and "Power down flag is set" in out,
                   "b: %s -K with the flag set and a bad DEADTIME line: exit 0" % who, out)
            os.unlink(m.pdflag)
            rc, out = check_flag(m, conf_dir)
            tap.ok(rc == 1, "b: %s -K without the flag: exit 1" % who, out)
        if len(mons) == 1:
            tap.skip("b: Debian's upsmon 2.8.0 -K agrees", "no $NUTREF")
        p = mons[0]
        with open(p.conffile, "w") as f:
            f.write("MONITOR %s 1 admin adminpass primary\nPOWERDOWNFLAG\n" % sysname(st))
        with open(p.pdflag, "w") as f:
            f.write(MAGIC)
        rc, out = check_flag(p, None)
        tap.ok(rc == 1, "b: a broken POWERDOWNFLAG line (no path): exit 1", out)
    finally:
        st.cleanup(KEEP)


def scenario_c(tap):
    """device text (ups.alarm) reaches NOTIFYCMD and wall as text, never as shell code"""
    st = Stack("safe-c")
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        p.start()
        tap.ok(wait_for(lambda: st.numlogins() == 1, 10), "c: logged in", p.log())
        pwn = st.path("logs", "pwned")
        text = '$(touch %s)`touch %s`"; touch %s \\' % (pwn, pwn, pwn)
        quoted = text.replace('\\', '\\\\').replace('"', '\\"')     # for the .dev file
        st.write_dev("ups", '"OL ALARM"', {"ups.alarm": '"%s"' % quoted})
        tap.ok(p.wait_event("ALARM", 15), "c: ALARM notified", diag(p))
        want = "UPS %s: one or more active alarms: [%s]" % (sysname(st), text)
        got = [e[3] for e in p.events() if e[1] == "ALARM"]
        tap.ok(got == [want], "c: NOTIFYCMD's $1 is the alarm text, byte for byte",
               "%r\n%r" % (got, want))
        tap.ok(wait_for(lambda: want in read(st.wall_log), 10), "c: wall got it as text",
               read(st.wall_log))
        time.sleep(1)
        tap.ok(not os.path.exists(pwn), "c: nothing in it ran")
    finally:
        st.cleanup(KEEP)


def scenario_d(tap):
    """a reload with a bad value keeps the old configuration, names file:line"""
    st = Stack("safe-d", ups=("ups", "ups2"))
    try:
        st.start()
        p = Upsmon(st, "p", ["%s 1 admin adminpass primary" % sysname(st)])
        p.start()
        tap.ok(wait_for(lambda: st.numlogins() == 1, 10), "d: logged in", p.log())
        p.write(["%s 1 admin adminpass primary" % sysname(st, "ups2")],
                extra="# the line below is wrong\nDEADTIME 1m")
        bad = 1 + read(p.conffile).splitlines().index("DEADTIME 1m")
        res = p.cmd("-c", "reload")
        where = "%s:%d:" % (p.conffile, bad)
        tap.ok(res.returncode == 0 and wait_for(lambda: "Reload failed" in p.log(400), 10)
               and where in p.log(400) and "1m" in p.log(400),
               "d: reload refused, the bad line named as file:line", p.log(20))
        time.sleep(2)
        tap.ok(st.numlogins("ups") == 1 and st.numlogins("ups2") == 0
               and p.proc.poll() is None,
               "d: the old MONITOR list is kept (ups watched, ups2 not)",
               (st.numlogins("ups"), st.numlogins("ups2")))
        st.set_status("OB LB")
        tap.ok(wait_for(p.shut_down, 15), "d: ... and still protects the host (OB LB: shutdown)",
               diag(p))
    finally:
        st.cleanup(KEEP)


def main():
    tap = Tap()
    need_binaries(tap, ["upsmon", "upsd", "dummy-ups"])
    if not with_ref():
        tap.diag("no $NUTREF: Debian's upsmon is not run beside ours")
    for fn in (scenario_a, scenario_b, scenario_c, scenario_d):
        try:
            fn(tap)
        except Exception as e:   # a broken scenario is a failure, the others still run
            tap.ok(False, "%s ran to the end" % fn.__name__, repr(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
