#!/usr/bin/env python3
"""Power scenarios through our upsd with usbhid-ups on the simulated Ellipse ECO,
driven by upssim: mains cut -> OB DISCHRG within one pollinterval, battery falls ->
OB LB, INSTCMD shutdown.return over the network protocol -> load off in the model,
mains back -> load on; SET VAR writes reach the model; beeper and outlet state;
unplug -> stale -> replug -> fresh without restarting anything; junk answers do not
kill the driver. Prints TAP. BUILDDIR names the build tree."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from usbhid_stack import Conn, SimStack, tokens, wait_for  # noqa: E402
from stack import Tap  # noqa: E402

POLL = 10   # pollinterval; pollfreq is the same, so full polls come at most this late


def login(port):
    c = Conn(port)
    r1 = c.cmd("USERNAME admin")
    r2 = c.cmd("PASSWORD adminpass")
    return c, r1 == "OK" and r2 == "OK"


def sim_value(st, path):
    rc, out, _ = st.sim("get", path)
    try:
        return float(out.split()[0]) if rc == 0 else None
    except (ValueError, IndexError):
        return None


def scenario_power(t, st):
    rc, _, err = st.sim("cut-mains")
    t.ok(rc == 0, "upssim cut-mains", err)
    s = st.wait_value("eco", "ups.status", lambda v: {"OB", "DISCHRG"} <= tokens(v), POLL)
    t.ok({"OB", "DISCHRG"} <= tokens(s), "cut mains -> ups.status OB DISCHRG within one "
         "pollinterval (%d s)" % POLL, "last: %r\n%s" % (s, st.diag()))
    st.sim("set", "UPS.PowerSummary.RemainingCapacity", "24")
    st.sim("set-rate", "1")
    s = st.wait_value("eco", "ups.status", lambda v: {"OB", "LB"} <= tokens(v), 60)
    t.ok({"OB", "LB"} <= tokens(s), "battery falls below battery.charge.low -> OB LB", s)
    ch = st.value("eco", "battery.charge")
    t.ok(ch is not None and int(ch) < 20, "battery.charge below 20 (%s)" % ch)
    st.sim("set-rate", "0")


def scenario_shutdown(t, st):
    c, ok = login(st.port)
    t.ok(ok, "USERNAME/PASSWORD admin accepted")
    r1 = c.cmd('SET VAR eco ups.delay.shutdown "3"')
    r2 = c.cmd('SET VAR eco ups.delay.start "4"')
    t.ok(r1 == "OK" and r2 == "OK", "SET VAR ups.delay.shutdown 3, ups.delay.start 4", (r1, r2))
    st.wait_value("eco", "ups.delay.start", lambda v: v == "4", 10)
    r = c.cmd("INSTCMD eco shutdown.return")
    t.ok(r == "OK", "INSTCMD shutdown.return over the network protocol", r)
    c.close()
    tm = st.wait_value("eco", "ups.timer.shutdown", lambda v: v not in ("-1", None), 10)
    t.ok(tm is not None and tm != "-1", "ups.timer.shutdown counts down (%s)" % tm)
    off = wait_for(lambda: st.sim_status().get("load") == "off", 30)
    t.ok(off, "the model switched its load off after ups.delay.shutdown", st.sim_status())
    s = st.wait_value("eco", "ups.status", lambda v: "OFF" in tokens(v), 2 * POLL)
    t.ok("OFF" in tokens(s), "ups.status shows OFF (%s)" % s)
    time.sleep(1)
    t.ok(st.sim_status().get("load") == "off", "load stays off while mains is out")
    st.sim("restore-mains")
    on = wait_for(lambda: st.sim_status().get("load") == "on", 30)
    t.ok(on, "mains back -> load on again after ups.delay.start", st.sim_status())
    s = st.wait_value("eco", "ups.status", lambda v: "OL" in tokens(v) and "OFF" not in tokens(v),
                      2 * POLL)
    t.ok("OL" in tokens(s) and "OFF" not in tokens(s), "ups.status back to OL (%s)" % s)


def scenario_settings(t, st):
    c, _ = login(st.port)
    r = c.cmd('SET VAR eco battery.charge.low "30"')
    t.ok(r == "OK", "SET VAR battery.charge.low 30", r)
    v = wait_for(lambda: sim_value(st, "UPS.PowerSummary.RemainingCapacityLimitSetting") == 30, 10)
    t.ok(v, "the model's RemainingCapacityLimitSetting became 30 (SET_REPORT 0x22)")
    s = st.wait_value("eco", "battery.charge.low", lambda x: x == "30", 2 * POLL)
    t.ok(s == "30", "battery.charge.low reads back 30 (%s)" % s)
    r = c.cmd("INSTCMD eco beeper.enable")
    t.ok(r == "OK", "INSTCMD beeper.enable", r)
    v = wait_for(lambda: sim_value(st, "UPS.BatterySystem.Battery.AudibleAlarmControl") == 2, 10)
    t.ok(v, "beeper.enable wrote 2 to UPS.BatterySystem.Battery.AudibleAlarmControl")
    s = st.wait_value("eco", "ups.beeper.status", lambda x: x == "enabled", 2 * POLL)
    t.ok(s == "enabled", "ups.beeper.status enabled (%s)" % s)
    r = c.cmd('SET VAR eco outlet.power "60"')
    t.ok(r == "OK", "SET VAR outlet.power 60 (enum)", r)
    r = c.cmd('SET VAR eco outlet.power "42"')
    t.ok(r is not None and r.startswith("ERR"), "outlet.power 42 refused (not in the enum): %s" % r)
    c.close()
    st.sim("set", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", "0")
    s = st.wait_value("eco", "outlet.1.status", lambda x: x == "off", 3 * POLL)
    t.ok(s == "off", "an outlet switched off in the model -> outlet.1.status off (%s)" % s)
    st.sim("set", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", "1")


def stale(st):
    return (st.get("eco", "ups.status") or "") == "ERR DATA-STALE"


def scenario_unplug(t, st):
    pid = st.pid_of("usbhid-ups-eco")
    rc, _, _ = st.sim("unplug")
    t.ok(rc == 0, "upssim unplug")
    t.ok(wait_for(lambda: stale(st), 3 * POLL + 10), "unplugged -> upsd says DATA-STALE",
         st.get("eco", "ups.status"))
    st.sim("replug")
    fresh = wait_for(lambda: (st.get("eco", "ups.status") or "").startswith("VAR "), 3 * POLL + 10)
    t.ok(fresh, "replugged -> fresh data again", st.diag())
    t.ok(st.pid_of("usbhid-ups-eco") == pid and pid is not None,
         "same driver process (no restart)")
    rc, _, _ = st.sim("garbage", "5")
    t.ok(rc == 0, "upssim garbage 5 (junk answers and interrupt reports)")
    time.sleep(1)
    s = st.wait_value("eco", "ups.status", lambda v: "OL" in tokens(v), 3 * POLL)
    t.ok(st.pid_of("usbhid-ups-eco") == pid and "OL" in tokens(s),
         "driver survives junk, still OL (%s)" % s, st.diag())
    ch = st.wait_value("eco", "battery.charge", lambda v: v.isdigit() and 0 <= int(v) <= 100, 3 * POLL)
    t.ok(ch is not None and ch.isdigit(), "battery.charge sane after junk (%s)" % ch)


def main():
    t = Tap()
    t.bail_if_missing("usbhid-ups", "upsd", "upsc", "upssim")
    st = SimStack("uh-scen", extra="\tpollinterval = %d\n\tpollfreq = %d\n" % (POLL, POLL))
    try:
        t.ok(st.start_all(), "usbhid-ups (sim) and upsd start", st.diag())
        s = st.value("eco", "ups.status")
        t.ok(s == "OL", "starts OL (%s)" % s)
        scenario_power(t, st)
        scenario_shutdown(t, st)
        scenario_settings(t, st)
        scenario_unplug(t, st)
    finally:
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
