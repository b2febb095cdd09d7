#!/usr/bin/env python3
"""usbhid-ups start-up paths: -x explore dumps every HID path and value, -k
(killpower) sends shutdown.return's two SET_REPORTs with ondelay/offdelay, the
libusb transport with port = auto and no USB device fails with a clear message
(and retries with maxretry/retrydelay), bad options are refused, a model file
(tests/data/ellipse-eco-1200.sim) reproduces every value of the real ECO 1200
dump, and upssim reports errors. Prints TAP. BUILDDIR names the build tree."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from usbhid_stack import DATA, ECO1200, SimStack, binary, read_dump, run_user  # noqa: E402
from stack import Tap  # noqa: E402


def driver(st, ups, *args, timeout=60):
    return st.run([binary("usbhid-ups"), "-a", ups, "-u", run_user()] + list(args), timeout=timeout)


def main():
    t = Tap()
    t.bail_if_missing("usbhid-ups", "upsd", "upsc", "upssim")
    st = SimStack("uh-cli", upses=("eco",))
    try:
        st.write("ups.conf",
                 '[eco]\n\tdriver = usbhid-ups\n\tport = "sim:ellipse-eco-650"\n'
                 '[eco2]\n\tdriver = usbhid-ups\n\tport = "sim:ellipse-eco-650"\n'
                 '\tondelay = 12\n\toffdelay = 5\n'
                 '[usb]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendorid = "0463"\n'
                 '\tproductid = "FFFF"\n'
                 '[usbretry]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendorid = "0463"\n'
                 '\tmaxretry = 2\n\tretrydelay = 1\n'
                 '[badre]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendor = "EAT(ON"\n'
                 '[nomodel]\n\tdriver = usbhid-ups\n\tport = "sim:ellipse-eco-9999"\n'
                 '[file]\n\tdriver = usbhid-ups\n\tport = "sim:%s/ellipse-eco-1200.sim"\n'
                 % st.conf)
        shutil.copy(os.path.join(DATA, "ellipse-eco-1200.sim"), st.conf)

        # ---- explore
        rc, out, err = driver(st, "eco", "-x", "explore", "-d", "1")
        both = out + err
        t.ok(rc == 0, "usbhid-ups -x explore -d 1 exits 0", both[-2000:])
        t.ok("Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x06, Offset: 0, "
             "Size: 8, Value: 100" in both, "explore lists RemainingCapacity (0x06, 0:8) = 100")
        t.ok("Path: UPS.PowerSummary.RunTimeToEmpty, Type: Input, ReportID: 0x06, Offset: 8, "
             "Size: 32, Value: 1362" in both, "explore lists the Input twin RunTimeToEmpty = 1362")
        n = len(re.findall(r"^.*Path: ", both, re.M))
        t.ok(n >= 50, "explore lists every field (%d lines)" % n)
        t.ok("battery.charge: 100" in out, "-d 1 still dumps the variables")

        # ---- -k
        rc, out, err = driver(st, "eco", "-k", "-D")
        both = out + err
        sets = re.findall(r"set (UPS\.PowerSummary\.DelayBefore\w+) = (-?\d+): ok", both)
        t.ok(rc == 0, "usbhid-ups -k exits 0", both[-2000:])
        t.ok(sets == [("UPS.PowerSummary.DelayBeforeStartup", "30"),
                      ("UPS.PowerSummary.DelayBeforeShutdown", "20")],
             "-k = shutdown.return: DelayBeforeStartup 30 then DelayBeforeShutdown 20", sets)
        rc, out, err = driver(st, "eco2", "-k", "-D")
        sets = re.findall(r"set (UPS\.PowerSummary\.DelayBefore\w+) = (-?\d+): ok", out + err)
        t.ok(rc == 0 and sets == [("UPS.PowerSummary.DelayBeforeStartup", "12"),
                                  ("UPS.PowerSummary.DelayBeforeShutdown", "5")],
             "-k honours ondelay 12 / offdelay 5", sets)

        # ---- libusb with no device
        rc, out, err = driver(st, "usb", timeout=60)
        both = out + err
        t.ok(rc != 0 and rc != -999, "port = auto without a USB device exits non-zero (%d)" % rc)
        t.ok("No matching HID UPS found (no matching USB device)" in both,
             "... logging 'No matching HID UPS found (no matching USB device)'", both[-1500:])
        t0 = time.monotonic()
        rc, out, err = driver(st, "usbretry", timeout=60)
        both = out + err
        t.ok(rc != 0 and "attempt 2 of 2" in both and both.count("No matching HID UPS") == 2
             and time.monotonic() - t0 >= 1.0,
             "maxretry 2 / retrydelay 1: two attempts, then exit", both[-1500:])
        rc, out, err = driver(st, "badre")
        t.ok(rc != 0 and "invalid regular expression for vendor" in out + err,
             "a bad vendor regex is refused with its name", (out + err)[-800:])
        rc, out, err = driver(st, "nomodel")
        t.ok(rc != 0 and "unknown built-in model 'ellipse-eco-9999'" in out + err,
             "an unknown simulator model is refused", (out + err)[-800:])

        # ---- model file reproducing the real ECO 1200
        rc, out, err = driver(st, "file", "-d", "1")
        ours = dict(l.split(": ", 1) for l in out.splitlines() if ": " in l)
        real = read_dump(ECO1200)
        diff = [(k, ours.get(k), v) for k, v in real.items()
                if not k.startswith("driver.") and ours.get(k) != v]
        t.ok(rc == 0 and not diff, "model file ellipse-eco-1200.sim: every value equals the real "
             "ECO 1200 dump (driver.* aside)", diff or (out + err)[-1500:])
        with open(os.path.join(st.conf, "broken.sim"), "w") as f:
            f.write("model ellipse-eco-650\nvalue UPS.No.Such.Path 3\n")
        with open(os.path.join(st.conf, "ups.conf"), "a") as f:
            f.write('[broken]\n\tdriver = usbhid-ups\n\tport = "sim:%s/broken.sim"\n' % st.conf)
        rc, out, err = driver(st, "broken")
        t.ok(rc != 0 and "broken.sim:2: value: path not in the descriptor" in out + err,
             "a model file error names file:line", (out + err)[-800:])

        # ---- upssim errors
        rc, out, err = st.run([binary("upssim"), "-a", "nosuchups", "status"])
        t.ok(rc == 1 and "cannot reach the simulator" in err, "upssim without a simulator: exit 1", err)
        rc, out, err = st.run([binary("upssim")])
        t.ok(rc == 2 and "usage" in out, "upssim without arguments: usage, exit 2")
        st.start_driver("eco")
        rc, out, err = st.sim("frobnicate")
        t.ok(rc == 1 and "unknown command" in err, "unknown upssim command: ERR, exit 1", err)
        rc, out, err = st.sim("get", "UPS.PowerSummary.RemainingCapacity")
        t.ok(rc == 0 and out.strip() == "100", "upssim get RemainingCapacity -> 100", out + err)
        rc, out, err = st.sim("set", "UPS.Nope", "1")
        t.ok(rc == 1 and "no such path" in err, "upssim set on an unknown path: ERR", err)
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
