#!/usr/bin/env python3
"""upsd network commands: exact replies and ERR tokens (NUT 2.8.0 protocol 1.3).

Runs our dummy-ups (tests/data/ellipse-eco-1200.dev) and our upsd on a free
loopback port in a private tree, with DATAPATH pointing at the repo's conf/
(cmdvartab). Expected bytes follow the real upsd 2.8.0 (see
tests/data/README.md: reference transcripts of NUT 2.8.0).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import REPO, DEV_DESC, Conn, Stack, Tap, wait_for  # noqa: E402

VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
HELP = "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS"
FIRST_ID = "2DDC5036-F665-4D29-BE4C-0374D091D263"   # first id of a fresh upsd 2.8.0


def expect(t, conn, line, want, name=None):
    got = conn.cmd(line)
    return t.ok(got == want, name or "%r -> %r" % (line, want), "got %r" % (got,))


def read_raw(conn, timeout=2.0):
    """Everything that arrives until the peer is quiet for a moment."""
    conn.sock.settimeout(0.3)
    data, end = conn.buf, time.time() + timeout
    conn.buf = b""
    while time.time() < end:
        try:
            chunk = conn.sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    conn.sock.settimeout(5.0)
    return data


def readonly(t, s):
    c = Conn(s.port)
    for line, want in [
        ("VER", VER), ("NETVER", "1.3"), ("PROTVER", "1.3"), ("HELP", HELP),
        ("VER x", "ERR INVALID-ARGUMENT"), ("HELP me", "ERR INVALID-ARGUMENT"),
        ("STARTTLS", "ERR FEATURE-NOT-CONFIGURED"),
        ("GET VAR eco battery.charge", 'VAR eco battery.charge "100"'),
        ("get var ECO BATTERY.CHARGE", 'VAR ECO BATTERY.CHARGE "100"'),
        ("Get Var eco battery.charge extra words", 'VAR eco battery.charge "100"'),
        ('GET VAR "eco" battery\\.charge', 'VAR eco battery.charge "100"'),
        ("GET VAR eco battery.charge # comment", 'VAR eco battery.charge "100"'),
        ("GET VAR nosuch server.version", 'VAR nosuch server.version "2.8.0"'),
        ("GET VAR x SERVER.INFO", 'VAR x server.info "%s"' % VER),
        ("GET VAR eco server.foo", "ERR VAR-NOT-SUPPORTED"),
        ("GET TYPE eco ups.model", "TYPE eco ups.model RW STRING:32"),
        ("GET TYPE eco ups.load", "TYPE eco ups.load RW NUMBER"),
        ("GET DESC eco battery.charge", 'DESC eco battery.charge "Battery charge (percent of full)"'),
        ("GET DESC eco device.mfr", 'DESC eco device.mfr "Description unavailable"'),
        ("GET DESC eco no.such.var", 'DESC eco no.such.var "Description unavailable"'),
        ("GET CMDDESC eco LOAD.OFF", 'CMDDESC eco LOAD.OFF "Turn off the load immediately"'),
        ("GET CMDDESC eco no.such", 'CMDDESC eco no.such "Description unavailable"'),
        ("GET UPSDESC Eco", 'UPSDESC Eco "%s"' % DEV_DESC),
        ("GET NUMLOGINS eco", "NUMLOGINS eco 0"),
        ("GET TRACKING", "OFF"),
        ("GET TRACKING " + FIRST_ID, "ERR FEATURE-NOT-CONFIGURED"),
        ("GET", "ERR INVALID-ARGUMENT"), ("GET VAR", "ERR INVALID-ARGUMENT"),
        ("GET VAR eco", "ERR INVALID-ARGUMENT"), ("GET FOO eco x", "ERR INVALID-ARGUMENT"),
        ("GET NUMLOGINS", "ERR INVALID-ARGUMENT"),
        ("GET VAR nosuch battery.charge", "ERR UNKNOWN-UPS"),
        ("GET UPSDESC nosuch", "ERR UNKNOWN-UPS"),
        ("GET VAR eco no.such.var", "ERR VAR-NOT-SUPPORTED"),
        ("GET TYPE eco no.such.var", "ERR VAR-NOT-SUPPORTED"),
        ("LIST", "ERR INVALID-ARGUMENT"), ("LIST VAR", "ERR INVALID-ARGUMENT"),
        ("LIST FOO", "ERR INVALID-ARGUMENT"), ("LIST ENUM eco", "ERR INVALID-ARGUMENT"),
        ("LIST VAR nosuch", "ERR UNKNOWN-UPS"), ("LIST CLIENT nosuch", "ERR UNKNOWN-UPS"),
        ("LIST ENUM eco no.such", "ERR VAR-NOT-SUPPORTED"),
        ("LIST RANGE eco no.such", "ERR VAR-NOT-SUPPORTED"),
        ("FOO", "ERR UNKNOWN-COMMAND"), ("", "ERR UNKNOWN-COMMAND"),
        ("   \t ", "ERR UNKNOWN-COMMAND"), ("# hello", "ERR UNKNOWN-COMMAND"),
        ("LOGIN eco", "ERR USERNAME-REQUIRED"), ("SET VAR eco ups.load 1", "ERR USERNAME-REQUIRED"),
        ("INSTCMD", "ERR USERNAME-REQUIRED"), ("FSD eco", "ERR USERNAME-REQUIRED"),
        ("LOGOUT now", "ERR INVALID-ARGUMENT"),
    ]:
        expect(t, c, line, want)
    c.send("LIST UPS")
    t.ok(read_raw(c) == ('BEGIN LIST UPS\nUPS eco "%s"\nEND LIST UPS\n' % DEV_DESC).encode(),
         "LIST UPS exact")
    c.send("LIST ENUM Eco ups.status")
    t.ok(read_raw(c) == b"BEGIN LIST ENUM Eco ups.status\nEND LIST ENUM Eco ups.status\n",
         "LIST ENUM without enums is an empty list, names echoed")
    c.sock.sendall(b"LIST VAR ECO\n")
    conn_first = c.sock.recv(65536)
    t.ok(conn_first.startswith(b"BEGIN LIST VAR ECO\nVAR ECO battery.charge \"100\"\n")
         and conn_first.endswith(b"END LIST VAR ECO\n"),
         "LIST VAR arrives in one segment, client spelling echoed", repr(conn_first[:200]))
    c.sock.sendall(b"VER\r\nNETVER\nHELP\n")
    t.ok(read_raw(c) == ("%s\n1.3\n%s\n" % (VER, HELP)).encode(), "pipelined requests, CRLF")
    c.close()


def monuser(t, s):
    c = Conn(s.port)
    for line, want in [
        ("USERNAME", "ERR INVALID-ARGUMENT"), ("USERNAME monuser", "OK"),
        ("LOGIN eco", "ERR PASSWORD-REQUIRED"), ("PASSWORD secret", "OK"),
        ("USERNAME monuser", "ERR ALREADY-SET-USERNAME"),
        ("PASSWORD secret", "ERR ALREADY-SET-PASSWORD"),
        ("LOGIN", "ERR INVALID-ARGUMENT"), ("LOGIN nosuch", "ERR UNKNOWN-UPS"),
        ("LOGIN ECO", "OK"), ("LOGIN eco", "ERR ALREADY-LOGGED-IN"),
        ("GET NUMLOGINS eco", "NUMLOGINS eco 1"),
        ("MASTER eco", "ERR ACCESS-DENIED"), ("PRIMARY eco", "ERR ACCESS-DENIED"),
        ("PRIMARY nosuch", "ERR UNKNOWN-UPS"), ("PRIMARY", "ERR INVALID-ARGUMENT"),
        ("SET VAR eco ups.load 42", "ERR ACCESS-DENIED"),
        ("FSD eco", "ERR ACCESS-DENIED"),
        ("SET TRACKING ON", "OK"), ("GET TRACKING", "ON"), ("SET TRACKING OFF", "OK"),
        ("SET TRACKING maybe", "ERR INVALID-ARGUMENT"), ("SET TRACKING", "ERR INVALID-ARGUMENT"),
        ("SET FOO bar", "ERR INVALID-ARGUMENT"), ("SET VAR eco ups.load", "ERR INVALID-ARGUMENT"),
        ("INSTCMD eco", "ERR INVALID-ARGUMENT"),
        ("INSTCMD nosuch load.off", "ERR UNKNOWN-UPS"),
        ("INSTCMD eco no.such.cmd", "ERR CMD-NOT-SUPPORTED"),
    ]:
        expect(t, c, line, want, "monuser: %r -> %r" % (line, want))
    other = Conn(s.port)
    other.send("LIST CLIENT eco")
    t.ok(read_raw(other) == b"BEGIN LIST CLIENT eco\nCLIENT eco 127.0.0.1\nEND LIST CLIENT eco\n",
         "LIST CLIENT shows the logged-in connection")
    c.send("LOGOUT")
    t.ok(read_raw(c) == b"OK Goodbye\n", "LOGOUT -> OK Goodbye, then closed")
    t.ok(wait_for(lambda: other.cmd("GET NUMLOGINS eco") == "NUMLOGINS eco 0", 5, 0.3),
         "login count drops when the connection closes")
    other.close()
    c.close()


def admin(t, s):
    c = Conn(s.port)
    for line, want in [
        ("USERNAME admin", "OK"), ("PASSWORD adminpass", "OK"),
        ("SET VAR eco no.such.var 1", "ERR VAR-NOT-SUPPORTED"),
        ("SET VAR nosuch ups.load 1", "ERR UNKNOWN-UPS"),
        ("SET VAR eco ups.model " + "X" * 40, "ERR TOO-LONG"),
        ("SET VAR eco driver.name foo", "ERR READONLY"),
        ("SET TRACKING ON", "OK"),
        ("SET VAR eco ups.load 42", "OK TRACKING " + FIRST_ID),
        ("GET TRACKING 11111111-2222-3333-4444-555555555555", "ERR UNKNOWN"),
        ("PRIMARY eco", "OK PRIMARY-GRANTED"), ("master ECO", "OK MASTER-GRANTED"),
        ("FSD eco", "OK FSD-SET"),
        ("GET VAR eco ups.status", 'VAR eco ups.status "FSD OL"'),
    ]:
        expect(t, c, line, want, "admin: %r -> %r" % (line, want))
    t.ok(wait_for(lambda: c.cmd("GET TRACKING " + FIRST_ID.lower()) == "SUCCESS", 6, 0.5),
         "GET TRACKING <id> -> SUCCESS once the driver applied the SET")
    t.ok(wait_for(lambda: c.cmd("GET VAR eco ups.load") == 'VAR eco ups.load "42"', 6, 0.5),
         "SET VAR value reaches the driver")
    items = c.list("VAR eco")
    t.ok('VAR eco ups.status "FSD OL"' in items, "LIST VAR shows the FSD latch")
    # an unescaped # inside quotes is a parse error: NUT 2.8.0 logs it and sends nothing back
    c.send('SET VAR eco ups.model "A \\"q\\" #x"')
    t.ok(c.cmd("GET VAR eco ups.model") == 'VAR eco ups.model "Ellipse ECO 1200"',
         "unescaped # in quotes: no reply, nothing set, the session goes on")
    expect(t, c, 'SET VAR eco ups.model "A \\"q\\" \\#x"', "OK TRACKING 98C489FD-821C-4132-9D93-4F6590B55E63")
    t.ok(wait_for(lambda: c.cmd("GET VAR eco ups.model") == 'VAR eco ups.model "A \\"q\\" \\#x"', 6, 0.5),
         "quoted value with escapes round-trips")
    c.close()


def main():
    t = Tap()
    t.bail_if_missing("upsd", "dummy-ups")
    s = Stack("netcmds", upsd_extra="DATAPATH %s\n" % os.path.join(REPO, "conf"))
    try:
        if not t.ok(s.start_all(), "stack started", s.diag()):
            return t.done()
        readonly(t, s)
        monuser(t, s)
        admin(t, s)
    finally:
        s.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
