#!/usr/bin/env python3
"""Our usbhid-ups (simulated Ellipse ECO) feeding Debian's real NUT 2.8.0 upsd, read
by the real upsc, commanded by the real upscmd and upsrw: the real upsd accepts our
driver socket, the real upsc shows the real ECO 1200's variable set, a mains cut
reaches it as OB DISCHRG, upsrw writes battery.charge.low into the model, upscmd
shutdown.return switches the model's load off. Needs $NUTREF (else SKIP) and
BUILDDIR. Prints TAP."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peer import (DATA, Tap, Tree, build_dir, main_guard, our_impl, real_impl,  # noqa: E402
                  run_user, wait_for)

NAMES = ["our usbhid-ups (sim) + real upsd start", "real upsc: variable set of the real ECO 1200",
         "real upsc: ups.model Ellipse ECO 650, battery.charge 100, runtime 1362",
         "cut mains -> real upsc shows OB DISCHRG", "real upsrw sets battery.charge.low 30",
         "model received battery.charge.low 30", "real upscmd shutdown.return accepted",
         "model switched its load off"]
ECO1200 = os.path.join(DATA, "dumps", "Eaton__Ellipse_ECO_1200__usbhid-ups__2.8.0__automato-test.dev")


def exe(name):
    for sub in ("", "drivers", "clients"):
        p = os.path.join(build_dir(), sub, name)
        if os.access(p, os.X_OK):
            return p
    return None


def read_keys(path):
    keys = set()
    with open(path) as f:
        for line in f:
            if not line.startswith("#") and ": " in line:
                keys.add(line.split(": ", 1)[0])
    return keys


def upssim(tree, *args):
    p = subprocess.run([exe("upssim"), "-s", os.path.join(tree.state, "usbhid-ups-eco.sim")] +
                       list(args), capture_output=True, timeout=20)
    return p.returncode, p.stdout.decode(errors="replace")


def sim_status(tree):
    rc, out = upssim(tree, "status")
    return dict(l.split(": ", 1) for l in out.splitlines() if ": " in l) if rc == 0 else {}


def upsc_dict(tree, real):
    rc, out, _ = tree.client(real, "upsc", [tree.target()])
    return dict(l.split(": ", 1) for l in out.splitlines() if ": " in l) if rc == 0 else {}


def run():
    t = Tap()
    real, ours = real_impl(), our_impl()
    if not exe("usbhid-ups") or not exe("upssim"):
        t.ok(False, NAMES[0], "usbhid-ups/upssim not built in %s" % build_dir())
        return t.done()
    tree = Tree("usbhid")
    try:
        tree.write("ups.conf", '[eco]\n\tdriver = usbhid-ups\n\tport = "sim:ellipse-eco-650"\n'
                   '\tdesc = "simulated Ellipse ECO"\n\tpollinterval = 5\n\tpollfreq = 5\n')
        tree.spawn("driver", ours, [exe("usbhid-ups"), "-a", "eco", "-F", "-u", run_user()])
        sock = os.path.join(tree.state, "usbhid-ups-eco")
        up = wait_for(lambda: os.path.exists(sock), 15) and tree.start_upsd(real)
        t.ok(up, NAMES[0], tree.diag())
        got = upsc_dict(tree, real)
        ok = {k for k in got if not k.startswith("driver.")}
        rk = {k for k in read_keys(ECO1200) if not k.startswith("driver.")}
        t.ok(ok == rk, NAMES[1], "only ours %s\nonly real %s" % (sorted(ok - rk), sorted(rk - ok)))
        t.ok(got.get("ups.model") == "Ellipse ECO 650" and got.get("battery.charge") == "100"
             and got.get("battery.runtime") == "1362", NAMES[2], got)
        upssim(tree, "cut-mains")

        def ob():
            s = upsc_dict(tree, real).get("ups.status", "")
            return {"OB", "DISCHRG"} <= set(s.split())
        t.ok(wait_for(ob, 15), NAMES[3], upsc_dict(tree, real).get("ups.status"))
        auth = ["-u", "admin", "-p", "adminpass"]
        rc, out, err = tree.client(real, "upsrw", ["-s", "battery.charge.low=30", "-w"] + auth +
                                   [tree.target()])
        t.ok(rc == 0, NAMES[4], out + err)
        t.ok(wait_for(lambda: upssim(tree, "get",
                                     "UPS.PowerSummary.RemainingCapacityLimitSetting")[1].strip() == "30",
                      10), NAMES[5])
        rc, out, err = tree.client(real, "upsrw", ["-s", "ups.delay.shutdown=2", "-w"] + auth +
                                   [tree.target()])
        rc, out, err = tree.client(real, "upscmd", ["-w"] + auth + [tree.target(), "shutdown.return"])
        t.ok(rc == 0, NAMES[6], out + err)
        t.ok(wait_for(lambda: sim_status(tree).get("load") == "off", 30), NAMES[7], sim_status(tree))
    finally:
        tree.cleanup()
    return t.done()


if __name__ == "__main__":
    main_guard(run, NAMES)
