"""Helpers for the usbhid-ups tests: a Stack whose UPS is our usbhid-ups on
the simulated Ellipse ECO (port = "sim:ellipse-eco-650"), driven with upssim.

Imported by tests/integration/test_usbhid_*.py and tests/interop/test_usbhid_interop.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import DATA, Conn, Stack, binary, run_user, wait_for  # noqa: E402,F401

DUMPS = os.path.join(DATA, "dumps")
ECO1200 = os.path.join(DUMPS, "Eaton__Ellipse_ECO_1200__usbhid-ups__2.8.0__automato-test.dev")


class SimStack(Stack):
    """Our upsd plus usbhid-ups on the simulator; extra ups.conf lines per UPS."""

    def __init__(self, tag, model="ellipse-eco-650", extra="", **kw):
        self.model = model
        self.extra = extra
        Stack.__init__(self, tag, **kw)

    def write_ups_conf(self):
        text = ""
        for ups in self.upses:
            text += ('[%s]\n\tdriver = usbhid-ups\n\tport = "sim:%s"\n\tdesc = "simulated Ellipse ECO"\n%s'
                     % (ups, self.model, self.extra))
        self.write("ups.conf", text)

    def sockpath(self, ups):
        return os.path.join(self.state, "usbhid-ups-" + ups)

    def simpath(self, ups="eco"):
        return os.path.join(self.state, "usbhid-ups-%s.sim" % ups)

    def start_driver(self, ups="eco", foreground=True, wait=True, args=()):
        argv = [binary("usbhid-ups"), "-a", ups, "-u", run_user()] + list(args)
        name = "usbhid-ups-" + ups
        if foreground:
            self.spawn(name, argv + ["-F"])
        else:
            self.run_daemon(name, argv, os.path.join(self.pid, name + ".pid"))
        return self.wait_unix(self.sockpath(ups)) if wait else True

    def sim(self, *args, ups="eco"):
        """upssim -a UPS ARGS: (rc, stdout, stderr)."""
        return self.run([binary("upssim"), "-a", ups] + [str(a) for a in args])

    def sim_status(self, ups="eco"):
        rc, out, _ = self.sim("status", ups=ups)
        if rc != 0:
            return {}
        return dict(l.split(": ", 1) for l in out.splitlines() if ": " in l)

    def value(self, ups, var):
        """The value of var through upsd, or None."""
        rep = self.get(ups, var) or ""
        prefix = "VAR %s %s " % (ups, var)
        if not rep.startswith(prefix):
            return None
        return rep[len(prefix):].strip('"')

    def wait_value(self, ups, var, pred, timeout):
        """Poll var until pred(value) holds; the last value seen."""
        seen = [None]

        def check():
            seen[0] = self.value(ups, var)
            return seen[0] is not None and pred(seen[0])
        wait_for(check, timeout, 0.1)
        return seen[0]

    def upsc_dict(self, ups="eco"):
        rc, out, err = self.upsc(self.target(ups))
        if rc != 0:
            return None
        return dict(l.split(": ", 1) for l in out.splitlines() if ": " in l)


def read_dump(path):
    """A .dev dump as a dict (comments and #RW/#CMD lines skipped)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or ": " not in line:
                continue
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def tokens(status):
    return set((status or "").split())
