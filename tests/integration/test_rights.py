#!/usr/bin/env python3
"""upsd rights per command, seen from both sides.

upsd (-DDDD) runs in front of a fake driver: a Python Unix socket server that
answers DUMPALL with a small state and records every line upsd sends it. For
a set of upsd.users accounts, every rights-checked command is tried and the
reply compared with what the user is entitled to:
  LOGIN: upsmon primary/secondary; PRIMARY/MASTER: upsmon primary;
  FSD: upsmon primary or actions FSD; SET VAR: actions SET;
  INSTCMD: the command in instcmds, or ALL.
A wrong password and an unknown user get ERR ACCESS-DENIED everywhere. The
driver must receive exactly the SET/INSTCMD lines that were granted. Also:
a SET whose driver line would not fit is refused (no cut line with an open
quote reaches the driver), an INSTCMD value stays one quoted word, and no
password appears in upsd's debug output.
"""
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Conn, Stack, Tap, binary, run_user, wait_for  # noqa: E402

UPS = "fake"
DUMP = [
    'SETINFO ups.status "OL"',
    'SETINFO input.transfer.low "184"',
    "SETFLAGS input.transfer.low RW",
    "ADDRANGE input.transfer.low 160 190",
    'SETINFO ups.id "x"',
    "SETFLAGS ups.id RW STRING",
    "SETAUX ups.id 8",
    'SETINFO ups.delay.start "30"',
    "SETFLAGS ups.delay.start RW",
    "ADDCMD beeper.toggle",
    "ADDCMD load.off",
    "DATAOK",
    "DUMPDONE",
]
USERS = {
    # name: (password, upsd.users lines)
    "admin": ("Adm1nPw", ["upsmon primary", "actions = SET", "instcmds = ALL"]),
    "prim": ("Pr1mPw", ["upsmon master"]),
    "mon": ("M0nPw", ["upsmon secondary"]),
    "setter": ("S3tPw", ["actions = SET"]),
    "fsder": ("FsdPw", ["actions = FSD"]),
    "cmder": ("CmdPw", ["instcmds = beeper.toggle"]),
}
COMMANDS = [
    # (command, reply when granted, users granted)
    ("LOGIN fake", "OK", {"admin", "prim", "mon"}),
    ("PRIMARY fake", "OK PRIMARY-GRANTED", {"admin", "prim"}),
    ("MASTER fake", "OK MASTER-GRANTED", {"admin", "prim"}),
    ("FSD fake", "OK FSD-SET", {"admin", "prim", "fsder"}),
    ("SET VAR fake input.transfer.low 170", "OK", {"admin", "setter"}),
    ("INSTCMD fake beeper.toggle", "OK", {"admin", "cmder"}),
    ("INSTCMD fake load.off", "OK", {"admin"}),
]


class FakeDriver:
    """Unix socket server speaking the driver side of the socket protocol."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        os.chmod(path, 0o660)
        self.srv.listen(4)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.srv.settimeout(0.5)
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
            except (socket.timeout, OSError):
                continue
            self.talk(conn)

    def talk(self, conn):
        conn.settimeout(0.5)
        buf = b""
        while not self.stop:
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self.handle(conn, raw.decode(errors="replace"))
        conn.close()

    def handle(self, conn, line):
        if line == "DUMPALL":
            conn.sendall(("\n".join(DUMP) + "\n").encode())
        elif line == "PING":
            conn.sendall(b"PONG\n")
        else:
            with self.lock:
                self.lines.append(line)

    def received(self):
        with self.lock:
            return list(self.lines)

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.srv.close()


def session(s, user, password):
    c = Conn(s.port)
    c.cmd("USERNAME " + user)
    c.cmd("PASSWORD " + password)
    return c


def check_matrix(t, s, drv):
    """Every user x command; returns the driver lines expected so far."""
    expected = []
    for user, (password, _) in sorted(USERS.items()):
        for cmd, granted_reply, granted in COMMANDS:
            c = session(s, user, password)
            got = c.cmd(cmd)
            c.close()
            want = granted_reply if user in granted else "ERR ACCESS-DENIED"
            t.ok(got == want, "%s: %s -> %s" % (user, cmd, want), "got %r" % got)
            if user in granted and cmd.startswith("SET VAR"):
                expected.append('SET input.transfer.low "170"')
            elif user in granted and cmd.startswith("INSTCMD"):
                expected.append("INSTCMD " + cmd.split()[2])
    return expected


def check_intruders(t, s):
    for user, password, what in (("admin", "adm1npw", "wrong password (case)"),
                                  ("admin", "Adm1nPw2", "wrong password (longer)"),
                                  ("admin", "", "empty password"),
                                  ("nobody", "Adm1nPw", "unknown user"),
                                  ("Admin", "Adm1nPw", "user name in another case")):
        bad = []
        for cmd, _, _ in COMMANDS:
            c = session(s, user, password if password else '""')
            got = c.cmd(cmd)
            c.close()
            if got != "ERR ACCESS-DENIED":
                bad.append("%s -> %r" % (cmd, got))
        t.ok(not bad, "%s: every rights-checked command denied" % what, "\n".join(bad))


def check_driver_lines(t, drv, expected):
    got = wait_for(lambda: drv.received() if len(drv.received()) >= len(expected) else None,
                   10, 0.2) or drv.received()
    t.ok(got == expected, "the driver received exactly the granted SET/INSTCMD lines",
         "want %r\ngot  %r" % (expected, got))
    return len(got)


def check_long_lines(t, s, drv, seen):
    c = session(s, "admin", "Adm1nPw")
    # passes the range check (leading number) but the driver line cannot hold it
    got = c.cmd("SET VAR fake ups.delay.start 30" + "9" * 500)
    t.ok(got == "ERR TOO-LONG", "SET whose driver line would be cut -> ERR TOO-LONG", repr(got))
    got = c.cmd('INSTCMD fake load.off "1 TRACKING 0000"')
    t.ok(got == "OK", "INSTCMD with a value of several words accepted", repr(got))
    got = c.cmd('SET VAR fake ups.id "a b"')
    t.ok(got == "OK", "SET after the refused one accepted", repr(got))
    c.close()
    want = ['INSTCMD load.off "1 TRACKING 0000"', 'SET ups.id "a b"']
    lines = wait_for(lambda: drv.received()[seen:] if len(drv.received()) >= seen + 2 else None,
                     10, 0.2) or drv.received()[seen:]
    t.ok(lines == want, "driver: nothing from the refused SET, the value stays one quoted word",
         "want %r\ngot  %r" % (want, lines))


def check_no_password_logged(t, s):
    log = s.logtail("upsd", 100000)
    leaked = [pw for pw, _ in USERS.values() if pw in log] + \
        [pw for pw in ("adm1npw", "Adm1nPw2") if pw in log]
    t.ok("Client" in log or "User" in log, "upsd -DDDD logged the sessions", log[-500:])
    t.ok(not leaked, "no password in upsd's -DDDD output", "leaked: %s" % leaked)


def main():
    t = Tap()
    t.bail_if_missing("upsd")
    s = Stack("rights", upses=())
    s.write("ups.conf", "[%s]\n\tdriver = dummy-ups\n\tport = none\n" % UPS)
    users = ""
    for name, (password, lines) in USERS.items():
        users += "[%s]\n\tpassword = %s\n" % (name, password)
        users += "".join("\t%s\n" % line for line in lines)
    s.write("upsd.users", users)
    drv = FakeDriver(s.sockpath(UPS))
    try:
        s.spawn("upsd", [binary("upsd"), "-u", run_user(), "-F", "-DDDD"])
        if not t.ok(s.wait_tcp() and s.wait_ready(UPS), "upsd serves the fake driver's UPS",
                    s.diag()):
            return t.done()
        expected = check_matrix(t, s, drv)
        check_intruders(t, s)
        seen = check_driver_lines(t, drv, expected)
        check_long_lines(t, s, drv, seen)
        check_no_password_logged(t, s)
    finally:
        s.cleanup(keep=True)
        drv.close()
        s.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
