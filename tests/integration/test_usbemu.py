#!/usr/bin/env python3
"""The real libusb path end to end: our usbhid-ups in a qemu guest (TCG, xHCI,
usb-redir) talks through the guest kernel and libusb-1.0 to tests/usbemu/upsemu,
an emulated Eaton Ellipse ECO 0463:ffff serving the simulator's device model (the
synthetic ECO 650 descriptor and the captured report values). One boot: the
driver on port = auto (vendorid 0463) feeds our upsd, upsc in the guest must show
the simulator's variable set; mains cut through the emulator's command channel
(the guest's /dev/ttyS1) must arrive as OB DISCHRG on the interrupt pipe;
unplug/replug must make the driver notice and reconnect; -k must send the
shutdown.return SET_REPORTs the emulator logs. With $NUTREF, Debian's real
usbhid-ups 2.8.0 runs against the same device as an oracle (variables and -k
bytes compared). SKIPs when qemu, busybox, libusbredirparser or the kernel
download (cached in $XDG_CACHE_HOME/nutc-usbemu or /var/tmp/nutc-usbemu) is not
available. See tests/usbemu/README. Prints TAP. BUILDDIR names the build tree."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from stack import Tap, binary, build_dir  # noqa: E402

SRC = os.path.dirname(os.path.dirname(HERE))
EMU = os.path.join(SRC, "tests", "usbemu")

NAMES = [
    "guest boots, the kernel binds usbhid to the emulated 0463:ffff",
    "our usbhid-ups (port = auto, vendorid 0463) serves through upsd: ups.status OL",
    "guest upsc: battery.charge 100, battery.runtime 1362, ups.model Ellipse ECO 650, ups.mfr EATON",
    "guest variables and values equal the simulator's (driver.* aside)",
    "mains cut via the command channel -> upsc shows OB DISCHRG",
    "... delivered on the interrupt pipe (emulator sent it, the driver decoded it)",
    "mains back -> OL again",
    "unplug: the driver notices, upsd reports data stale",
    "replug: the driver reconnects, upsc shows OL again",
    "-k exits 0 and sends DelayBeforeStartup=30 then DelayBeforeShutdown=20",
    "oracle: Debian's usbhid-ups 2.8.0 dumps the emulated device with MGE HID 1.46",
    "oracle: its variables and values equal ours",
    "oracle: its -k sends the same SET_REPORT bytes as ours",
]


def cache_dir():
    if os.environ.get("NUTC_USBEMU_CACHE"):
        return os.environ["NUTC_USBEMU_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "nutc-usbemu")
    return "/var/tmp/nutc-usbemu"


def fail_all(t, why):
    t.ok(False, NAMES[0], why)
    for name in NAMES[1:]:
        t.ok(False, name, "(see above)")


def build_flags():
    """CFLAGS and LDFLAGS of the build tree (sanitizers must match its libraries)."""
    flags = []
    try:
        with open(os.path.join(build_dir(), "Makefile")) as f:
            for line in f:
                m = re.match(r"^(CFLAGS|LDFLAGS) = (.*)$", line)
                if m:
                    flags += m.group(2).split()
    except OSError:
        flags = ["-O1", "-g"]
    return flags


def skip_all(t, why):
    for name in NAMES:
        t.skip(name, why)


def parse_serial(path):
    """(facts {name: value}, sections {name: text}) from the guest console."""
    facts, sections, cur = {}, {}, None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if cur is not None:
                if line == "@@END " + cur:
                    cur = None
                else:
                    sections[cur] = sections.get(cur, "") + line + "\n"
                continue
            if line.startswith("@@BEGIN "):
                cur = line[8:]
                sections[cur] = ""
            elif line.startswith("@@"):
                name, _, value = line[2:].partition(" ")
                facts[name] = value
    return facts, sections


def kv(text):
    out = {}
    for line in (text or "").splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def emu_window(log, start, end):
    """Emulator log lines between MARK start and MARK end."""
    out, on = [], False
    for line in log.splitlines():
        if line.endswith("MARK " + start):
            on = True
        elif line.endswith("MARK " + end):
            on = False
        elif on:
            out.append(line)
    return out


def set_reports(lines):
    """[(bytes, fields)] of the SET_REPORT lines."""
    out = []
    for line in lines:
        m = re.search(r"SET_REPORT \w+ 0x[0-9a-f]+: ([0-9a-f ]+) \|(.*)$", line)
        if m:
            out.append((m.group(1).strip(), m.group(2).strip()))
    return out


def sim_dump(work):
    """Our usbhid-ups -d 1 on the simulator, on the host: {var: value}."""
    env = dict(os.environ, NUT_STATEPATH=work, NUT_CONFPATH=work, NUT_ALTPIDPATH=work)
    p = subprocess.run([binary("usbhid-ups"), "-s", "simref", "-x", "port=sim:ellipse-eco-650",
                        "-d", "1", "-u", "root" if os.geteuid() == 0 else str(os.geteuid())],
                       capture_output=True, env=env, timeout=60, cwd=work)
    return kv(p.stdout.decode(errors="replace"))


def tokens(s):
    return set((s or "").split())


def no_driver(d):
    return {k: v for k, v in d.items() if not k.startswith("driver.")}


def dict_diff(a, b):
    keys = sorted(set(a) | set(b))
    return ["%s: %r != %r" % (k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def run(t, work):
    missing = [n for n in ("usbhid-ups", "upsd", "upsc") if binary(n) is None]
    libs = [os.path.join(build_dir(), n) for n in ("libhid.a", "libcommon.a")]
    if missing or not all(os.path.exists(x) for x in libs):
        fail_all(t, "not built in %s: %s" % (build_dir(), missing or libs))
        return
    ldd = subprocess.run(["ldd", binary("usbhid-ups")], capture_output=True).stdout.decode()
    if "libusb-1.0" not in ldd:
        skip_all(t, "usbhid-ups built without libusb-1.0")
        return
    t0 = time.monotonic()
    p = subprocess.run(["sh", os.path.join(EMU, "setup.sh"), cache_dir()], capture_output=True,
                       timeout=600)
    out = p.stdout.decode(errors="replace")
    if p.returncode == 77:
        skip_all(t, out.strip().replace("SKIP: ", "") or "setup not possible")
        return
    env = dict(re.findall(r"^(KVER|KROOT)=(.*)$", out, re.M))
    if p.returncode != 0 or len(env) != 2:
        fail_all(t, "setup.sh failed: %s %s" % (out, p.stderr.decode(errors="replace")))
        return
    t_setup = time.monotonic() - t0

    upsemu = os.path.join(work, "upsemu")
    cc = os.environ.get("CC", "cc")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libusbredirparser-0.5"],
                           capture_output=True).stdout.decode().split()
    p = subprocess.run([cc] + build_flags() + ["-std=gnu11", "-Wall", "-Wextra", "-Wshadow",
                        "-Wstrict-prototypes", "-Wmissing-prototypes", "-Werror", "-D_GNU_SOURCE",
                        "-I" + os.path.join(SRC, "common"), "-I" + os.path.join(SRC, "drivers"),
                        os.path.join(EMU, "upsemu.c"), os.path.join(SRC, "drivers", "simmodel.c")]
                       + libs + flags + ["-lm", "-o", upsemu], capture_output=True, timeout=300)
    if p.returncode != 0:
        fail_all(t, "building upsemu failed:\n" + p.stderr.decode(errors="replace"))
        return

    files = ["%s:/nutc/%s" % (binary(n), n) for n in ("usbhid-ups", "upsd", "upsc")]
    nutref = os.environ.get("NUTREF")
    real = os.path.join(nutref, "lib", "nut", "usbhid-ups") if nutref else None
    have_real = bool(real and os.access(real, os.X_OK))
    if have_real:
        files.append("%s:/nut/usbhid-ups" % real)
    initrd = os.path.join(work, "initrd.gz")
    kernel = os.path.join(env["KROOT"], "boot", "vmlinuz-" + env["KVER"])
    p = subprocess.run(["sh", os.path.join(EMU, "mkinitramfs.sh"), env["KROOT"], env["KVER"], initrd,
                        os.path.join(EMU, "init.sh"), os.path.join(EMU, "guest-test.sh")] + files,
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        fail_all(t, "mkinitramfs.sh failed:\n" + p.stderr.decode(errors="replace"))
        return
    t1 = time.monotonic()
    p = subprocess.run(["sh", os.path.join(EMU, "run-vm.sh"), work, kernel, initrd, upsemu, "170"],
                       capture_output=True, timeout=240)
    t_vm = time.monotonic() - t1
    t.diag("setup %.1f s, build %.1f s, guest run %.1f s (run-vm.sh exit %d)"
           % (t_setup, t1 - t0 - t_setup, t_vm, p.returncode))
    serial = os.path.join(work, "serial.log")
    if not os.path.exists(serial):
        fail_all(t, "no console log: " + p.stderr.decode(errors="replace"))
        return
    facts, sec = parse_serial(serial)
    with open(os.path.join(work, "upsemu.log"), errors="replace") as f:
        emulog = f.read()
    with open(serial, errors="replace") as f:
        serial_tail = "".join(f.readlines()[-40:])
    judge(t, facts, sec, emulog, serial_tail, sim_dump(work), have_real)


def judge(t, facts, sec, emulog, serial_tail, sim, have_real):
    usb = facts.get("USB", "")
    t.ok("0463:ffff" in usb and "driver usbhid" in usb, NAMES[0], usb or serial_tail)
    ol = kv(sec.get("upsc-ol"))
    t.ok(facts.get("ours-ready", "FAIL") != "FAIL" and ol.get("ups.status") == "OL", NAMES[1],
         sec.get("ours-log", "") + (sec.get("upsc-ol") or serial_tail))
    t.ok(ol.get("battery.charge") == "100" and ol.get("battery.runtime") == "1362"
         and ol.get("ups.model") == "Ellipse ECO 650" and ol.get("ups.mfr") == "EATON"
         and ol.get("ups.vendorid") == "0463", NAMES[2], ol)
    diff = dict_diff(no_driver(ol), no_driver(sim))
    t.ok(sim and ol and not diff, NAMES[3], diff or "simulator dump empty")
    ob = kv(sec.get("upsc-ob"))
    t.ok(facts.get("ob", "FAIL") != "FAIL" and {"OB", "DISCHRG"} <= tokens(ob.get("ups.status")),
         NAMES[4], ob or facts)
    sent = [l for l in emu_window(emulog, "mains-cut", "unplug") if "INTERRUPT" in l]
    decoded = [l for l in (sec.get("ours-log") or "").splitlines()
               if re.search(r"interrupt report 0x[0-9a-f]+: [1-9]\d* items", l)]
    t.ok(sent and decoded, NAMES[5], "emulator: %s\ndriver: %s" % (sent, decoded))
    t.ok(facts.get("ol-again", "FAIL") != "FAIL", NAMES[6], facts)
    t.ok(facts.get("lost", "FAIL") != "FAIL" and "stale" in facts.get("stale", "").lower(),
         NAMES[7], "%s\n%s" % (facts, sec.get("ours-log")))
    rp = kv(sec.get("upsc-replug"))
    t.ok(facts.get("reconnected", "FAIL") != "FAIL" and facts.get("ol-after-replug", "FAIL") != "FAIL"
         and "OL" in tokens(rp.get("ups.status")), NAMES[8], "%s\n%s" % (facts, sec.get("ours-log")))
    ours_k = set_reports(emu_window(emulog, "ours-k", "ours-k-end"))
    fields = [f for _, f in ours_k]
    t.ok(facts.get("ours-k-rc") == "0" and fields == ["UPS.PowerSummary.DelayBeforeStartup=30",
                                                       "UPS.PowerSummary.DelayBeforeShutdown=20"],
         NAMES[9], "rc %s, %s\n%s" % (facts.get("ours-k-rc"), ours_k, sec.get("ours-k")))
    if not have_real:
        for name in NAMES[10:]:
            t.skip(name, "NUTREF (Debian's NUT 2.8.0 unpacked) not available")
        return
    real = kv(sec.get("nut-dump"))
    t.ok(facts.get("nut-dump-rc") == "0" and "Using subdriver: MGE HID 1.46" in sec.get("nut-dump-err", "")
         and real, NAMES[10], "%s\n%s" % (facts.get("nut-dump-rc"), sec.get("nut-dump-err")))
    diff = dict_diff(ol, real)
    t.ok(real and not diff, NAMES[11], diff)
    nut_k = set_reports(emu_window(emulog, "nut-k", "nut-k-end"))
    t.ok(facts.get("nut-k-rc") == "0" and nut_k and [b for b, _ in nut_k] == [b for b, _ in ours_k],
         NAMES[12], "ours %s\nreal %s" % (ours_k, nut_k))


def main():
    t = Tap()
    work = tempfile.mkdtemp(prefix="nutc-usbemu-")
    keep = bool(os.environ.get("USBEMU_KEEP"))
    try:
        run(t, work)
    finally:
        if keep:
            t.diag("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
