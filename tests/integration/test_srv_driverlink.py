#!/usr/bin/env python3
"""upsd's driver link: a hung driver must not freeze upsd; names that are not
one word are refused.

ups.conf has two UPSes: eco (a real dummy-ups) and hung, whose socket is a
listener this test owns that never accepts and whose queue is already full
(as a driver stuck in I/O with other socket clients waiting). upsd's connect
to it must not block the event loop: eco stays served, hung reads as not
connected, and once the stuck socket goes away and a real driver comes up for
hung, upsd connects to it.

Then a fake driver publishes names with a space, a quote, an "=", an empty
one, through every state message (SETINFO, ADDENUM, SETFLAGS, ADDCMD...)
mixed with good ones: upsd must store none of them (LIST VAR / RW / CMD show
only the good ones, each line well formed), serve the rest of the dump,
and log the refusal once with the UPS name (the count of the others when
the driver goes away). Prints TAP.
"""
import os
import re
import shlex
import socket
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"


def ask(port, line):
    try:
        c = Conn(port, timeout=3)
    except OSError:
        return None
    try:
        return c.cmd(line)
    finally:
        c.close()


def stuck_socket(path):
    """A listener with a full queue: (listener, the queued client)."""
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(0)
    queued = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    queued.setblocking(False)
    queued.connect(path)
    return lsock, queued


# the fake driver's dump: (line, refused?)
BAD_DUMP = [
    ('SETINFO ups.status "OL"', False),
    ('DELINFO "a b"', True),         # deletions first: unfixed, "a b" would stay
    ('DELRANGE "a b" 1 2', True),
    ('DELENUM "a b" "v"', True),
    ('DELCMD "bad cmd"', True),
    ('SETINFO "a b" "x"', True),
    ('SETINFO ups.model "Fake 1"', False),
    ('SETINFO "quo\\"te" "y"', True),
    ('SETINFO "x=y" "z"', True),
    ('SETINFO "" "empty"', True),
    ('SETINFO "ups.id " "trailing space"', True),
    ('ADDENUM "a b" "v"', True),
    ('SETFLAGS "a b" RW STRING', True),
    ('SETAUX "a b" 10', True),
    ('ADDRANGE "a b" 1 2', True),
    ('SETINFO input.voltage "230.0"', False),
    ('SETINFO ups.delay.shutdown "20"', False),
    ('SETFLAGS ups.delay.shutdown RW NUMBER', False),
    ('ADDCMD "bad cmd"', True),
    ('ADDCMD load.off', False),
    ('ADDCMD test_battery.start-quick', False),
]
GOOD_VARS = {"ups.status": "OL", "ups.model": "Fake 1", "input.voltage": "230.0",
             "ups.delay.shutdown": "20", "battery.charge": "90"}
GOOD_CMDS = ["load.off", "test_battery.start-quick"]
NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class FakeDriver:
    """A driver socket that answers DUMPALL with BAD_DUMP, then one late bad
    SETINFO and a good one; PING gets PONG. One connection at a time."""

    def __init__(self, path):
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(4)
        self.lsock.settimeout(0.2)
        self.conn = None
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def send(self, c, lines):
        c.sendall("".join(x + "\n" for x in lines).encode())

    def serve(self, c):
        buf = b""
        c.settimeout(0.2)
        while not self.stopping:
            try:
                data = c.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                word = line.strip().decode(errors="replace")
                if word == "DUMPALL":
                    self.send(c, [x for x, _ in BAD_DUMP] + ["DUMPDONE"])
                    self.send(c, ['SETINFO "late one" "z"', 'SETINFO battery.charge "90"'])
                elif word == "PING":
                    self.send(c, ["PONG"])

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conn = c
            try:
                self.serve(c)
            except OSError:
                pass
            finally:
                c.close()
                self.conn = None

    def drop(self):
        """Close the current connection (the driver "goes away")."""
        c = self.conn
        if c:
            c.shutdown(socket.SHUT_RDWR)

    def stop(self):
        self.stopping = True
        self.lsock.close()
        self.thread.join(5)


def parsed(lines):
    out = []
    for x in lines:
        try:
            out.append(shlex.split(x or ""))
        except ValueError:
            out.append([x])
    return out


def check_bad_names(t):
    st = Stack("srvbad", upses=("fake",))
    fake = None
    try:
        fake = FakeDriver(st.sockpath("fake"))
        t.ok(st.start_upsd(), "upsd started with a fake driver", st.diag())
        t.ok(wait_for(lambda: ask(st.port, "GET VAR fake battery.charge") == 'VAR fake battery.charge "90"',
                      15, 0.3), "the good SETINFO sent after the bad ones is served", st.diag())
        c = Conn(st.port, timeout=5)
        try:
            var = c.list("VAR fake")
            rw = c.list("RW fake")
            cmd = c.list("CMD fake")
            rep = c.cmd('GET VAR fake "a b"')
        finally:
            c.close()
        words = parsed(var)
        t.ok(all(len(w) == 4 and w[:2] == ["VAR", "fake"] and NAME.match(w[2]) for w in words),
             "LIST VAR fake: every line is VAR fake <one-word name> <value>", "\n".join(var))
        t.ok({w[2]: w[3] for w in words if len(w) == 4} == GOOD_VARS and len(var) == len(GOOD_VARS),
             "LIST VAR fake: exactly the good variables with their values", "\n".join(var))
        t.ok(rw == ['RW fake ups.delay.shutdown "20"'], "LIST RW fake: only the good RW variable",
             "\n".join(rw))
        t.ok(cmd == ["CMD fake " + x for x in GOOD_CMDS], "LIST CMD fake: only the good commands",
             "\n".join(cmd))
        t.ok(rep == "ERR VAR-NOT-SUPPORTED", 'GET VAR fake "a b": not stored', repr(rep))
        log = st.logtail("upsd", 500)
        refused = [x for x in log.splitlines() if "with an invalid name \"" in x]
        t.ok(len(refused) == 1 and "UPS [fake]" in refused[0] and '"a b"' in refused[0],
             "the first refusal is logged once, with the UPS name", log)
        nbad = sum(1 for _, bad in BAD_DUMP if bad) + 1     # + the late one
        fake.drop()
        more = "UPS [fake]: %d more message(s) with an invalid name refused" % (nbad - 1)
        t.ok(wait_for(lambda: more in st.logtail("upsd", 500), 10),
             "when the driver goes away: the count of the others", st.logtail("upsd"))
        t.ok(wait_for(lambda: ask(st.port, "GET VAR fake battery.charge") == 'VAR fake battery.charge "90"',
                      20, 0.3), "upsd reconnects and serves the dump again", st.diag())
        log = st.logtail("upsd", 500)
        t.ok(sum(1 for x in log.splitlines() if "with an invalid name \"" in x) == 2,
             "a new connection logs its first refusal again (once)", log)
    finally:
        if fake:
            fake.stop()
        st.cleanup()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    check_bad_names(t)
    st = Stack("srvdrv", upses=("eco", "hung"))
    held = ()
    try:
        t.ok(st.start_driver("eco"), "dummy-ups for eco started", st.diag())
        held = stuck_socket(st.sockpath("hung"))
        t.ok(st.start_upsd(), "upsd started", st.diag())
        t.ok(wait_for(lambda: ask(st.port, "VER") == VER, 10, 0.3),
             "upsd answers while the hung driver's socket accepts nothing", st.diag())
        t.ok(wait_for(lambda: ask(st.port, "GET VAR eco ups.status") == 'VAR eco ups.status "OL"',
                      10, 0.3), "eco still served", st.diag())
        rep = ask(st.port, "GET VAR hung ups.status")
        t.ok(rep == "ERR DRIVER-NOT-CONNECTED", "hung: ERR DRIVER-NOT-CONNECTED", repr(rep))
        for s in held:
            s.close()
        held = ()
        os.unlink(st.sockpath("hung"))
        t.ok(st.start_driver("hung"), "a real driver for hung started", st.diag())
        t.ok(st.wait_ready("hung", 20), "upsd connects to it and serves hung", st.diag())
    finally:
        for s in held:
            s.close()
        st.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
