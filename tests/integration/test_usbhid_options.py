#!/usr/bin/env python3
"""usbhid-ups accepts every ups.conf option NUT 2.8.x's usbhid-ups accepts (its own,
the USB matching/tuning ones and the core ones our drvcore leaves to drivers): a
ups.conf using all of them starts on the simulated Ellipse ECO and serves through
upsd; options without a meaning here get a debug note; "subdriver" selects MGE HID
by exact name or regex as NUT does, an unknown subdriver and a subdriver without
vendorid/productid on USB are errors; -h lists every option of Debian's 2.8.0
usbhid-ups -h (when $NUTREF has it). Prints TAP. BUILDDIR names the build tree."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from usbhid_stack import SimStack, binary, run_user, tokens  # noqa: E402
from stack import Tap  # noqa: E402

# every option with a value that is valid for it (None = a flag)
ALL_OPTIONS = [
    ("lowbatt", "25"), ("offdelay", "20"), ("ondelay", "30"), ("pollfreq", "30"),
    ("interrupt_pipe_no_events_tolerance", "3"),
    ("onlinedischarge", None), ("onlinedischarge_onbattery", None),
    ("onlinedischarge_calibration", None),
    ("onlinedischarge_log_throttle_sec", "30"),
    ("onlinedischarge_log_throttle_hovercharge", "90"),
    ("lbrb_log_delay_sec", "5"), ("lbrb_log_delay_without_calibrating", None),
    ("disable_fix_report_desc", None),
    ("powercom_sdcmd_byte_order_fallback", None), ("powercom_sdcmd_discrete_delay", None),
    ("subdriver", "MGE HID"), ("winhid", None), ("explore", None), ("maxreport", None),
    ("interruptsize", "64"), ("waitbeforereconnect", "1"),
    ("vendor", "EATON"), ("product", "Ellipse.*"), ("serial", ".*"),
    ("vendorid", "0463"), ("productid", "ffff"), ("bus", "001"), ("device", ".*"),
    ("busport", ".*"), ("allow_duplicates", None), ("usb_set_altinterface", "0"),
    ("usb_config_index", "0"), ("usb_hid_rep_index", "0"), ("usb_hid_desc_index", "0"),
    ("usb_hid_ep_in", "1"), ("usb_hid_ep_out", "1"),
    ("maxretry", "2"), ("retrydelay", "1"), ("sdcommands", "shutdown.return"),
    ("LIBUSB_DEBUG", "0"), ("allow_killpower", None), ("reconnect_max_tries", "5"),
    ("reconnect_report_freq", "10"),
    # the core's own
    ("synchronous", "auto"), ("pollinterval", "2"), ("desc", "every option"),
    ("sdorder", "1"), ("maxstartdelay", "45"), ("nolock", None), ("ignorelb", None),
    ("debug_min", "0"),
]
# accepted but without a meaning here: each gets a debug note
NOTED = ["interrupt_pipe_no_events_tolerance", "onlinedischarge_log_throttle_sec",
         "onlinedischarge_log_throttle_hovercharge", "lbrb_log_delay_sec",
         "lbrb_log_delay_without_calibrating", "disable_fix_report_desc",
         "powercom_sdcmd_byte_order_fallback", "powercom_sdcmd_discrete_delay", "winhid",
         "maxreport", "allow_duplicates", "usb_hid_ep_out", "allow_killpower",
         "reconnect_max_tries", "reconnect_report_freq"]


def section(name, opts, port='"sim:ellipse-eco-650"'):
    text = "[%s]\n\tdriver = usbhid-ups\n\tport = %s\n" % (name, port)
    for k, v in opts:
        text += "\t%s\n" % k if v is None else '\t%s = "%s"\n' % (k, v)
    return text


def main():
    t = Tap()
    t.bail_if_missing("usbhid-ups", "upsd", "upsc")
    st = SimStack("uh-opts", upses=("eco",))
    try:
        conf = section("eco", ALL_OPTIONS)
        conf += section("mge", [("subdriver", "mge")])
        conf += section("exact", [("subdriver", "MGE HID 1.46")])
        conf += section("apc", [("subdriver", "APC HID")])
        conf += section("usbsub", [("subdriver", "MGE HID")], port="auto")
        conf += section("badep", [("usb_hid_ep_in", "zz")], port="auto")
        conf += section("typo", [("lbrb_log_delay_without_calibration", None)])
        st.write("ups.conf", conf)

        def driver(ups, *args):
            return st.run([binary("usbhid-ups"), "-a", ups, "-u", run_user()] + list(args),
                          timeout=60)

        st.start_upsd()
        st.start_driver("eco", args=["-D"])
        ready = st.wait_ready("eco", timeout=30)
        t.ok(ready, "a ups.conf with every NUT 2.8.x usbhid-ups option: driver starts and "
             "upsd serves it", st.logtail("usbhid-ups-eco", 40))
        got = st.upsc_dict("eco") or {}
        t.ok(got.get("battery.charge") == "100" and "OL" in tokens(got.get("ups.status"))
             and got.get("ups.model") == "Ellipse ECO 650",
             "upsc: battery.charge 100, ups.status OL, ups.model Ellipse ECO 650", got)
        t.ok(got.get("driver.parameter.subdriver") == "MGE HID"
             and got.get("driver.flag.allow_duplicates") == "enabled"
             and got.get("driver.parameter.lbrb_log_delay_sec") == "5",
             "options are published as driver.parameter.* / driver.flag.*",
             {k: v for k, v in got.items() if k.startswith("driver.")})
        log = open(st.log("usbhid-ups-eco"), errors="replace").read()
        missing = [o for o in NOTED if not re.search(r"option %s accepted but not used" % o, log)]
        t.ok(not missing, "every option without a meaning here gets a debug note", missing)
        t.ok("subdriver 'MGE HID' selects MGE HID 1.46" in log,
             "subdriver = \"MGE HID\" selects MGE HID 1.46 (NUT adds '.*')", log[-1500:])

        rc, out, err = driver("mge", "-d", "1")
        t.ok(rc == 0 and "battery.charge: 100" in out,
             "subdriver = mge (case-insensitive regex) works", (out + err)[-800:])
        rc, out, err = driver("exact", "-d", "1")
        t.ok(rc == 0 and "battery.charge: 100" in out, "subdriver = \"MGE HID 1.46\" works",
             (out + err)[-800:])
        rc, out, err = driver("apc", "-d", "1")
        t.ok(rc != 0 and "Configuration requested subdriver 'APC HID' but none matched"
             in out + err, "an unknown subdriver is an error, as in NUT", (out + err)[-800:])
        rc, out, err = driver("usbsub", "-d", "1")
        t.ok(rc != 0 and "'vendorid' and 'productid' are mandatory" in out + err,
             "subdriver on USB without vendorid/productid is an error, as in NUT",
             (out + err)[-800:])
        rc, out, err = driver("badep", "-d", "1")
        t.ok(rc != 0 and "invalid value for usb_hid_ep_in" in out + err,
             "a bad usb_hid_ep_in value is refused", (out + err)[-800:])
        rc, out, err = driver("typo", "-d", "1")
        t.ok("'lbrb_log_delay_without_calibration' is not a valid flag" in out + err,
             "a name NUT does not know is still refused (…_calibrating is the real one)",
             (out + err)[-800:])

        rc, out, err = st.run([binary("usbhid-ups"), "-h"])
        ours = set(re.findall(r": -x (\w+)", out))
        want = {k for k, _ in ALL_OPTIONS} - {"synchronous", "pollinterval", "desc", "sdorder",
                                               "maxstartdelay", "nolock", "ignorelb",
                                               "debug_min"}
        t.ok(want <= ours, "-h lists every driver option", sorted(want - ours))
        nutref = os.environ.get("NUTREF")
        real = os.path.join(nutref or "", "lib", "nut", "usbhid-ups")
        if nutref and os.access(real, os.X_OK):
            env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(nutref, "lib", "x86_64-linux-gnu"))
            p = subprocess.run([real, "-h"], capture_output=True, env=env, timeout=20)
            theirs = set(re.findall(r": -x (\w+)", p.stdout.decode(errors="replace")))
            t.ok(theirs and theirs <= ours, "-h lists every option of Debian's usbhid-ups 2.8.0 -h",
                 sorted(theirs - ours))
        else:
            t.skip("-h lists every option of Debian's usbhid-ups 2.8.0 -h", "NUTREF not set")
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
