#!/usr/bin/env python3
"""Debian's NUT 2.8.0 clients (upsc, upscmd, upsrw) against two stacks fed by the same .dev file:
the reference stack (real upsd + real dummy-ups) and ours (our upsd + our dummy-ups). Every
client run must give the same exit status, stdout and stderr on both (stderr without the NSS
notice "Init SSL without certificate database"; the UPS name, port and, for upsc's
server.version-like lines, the banner are the only expected differences: the port is
rewritten before comparing). Prints TAP; SKIP without NUTREF."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402



def cases():
    """(name, program, args-with-{T}/{H} placeholders, sleep-after)."""
    return [
        ("upsc UPS@host:port", "upsc", ["{T}"], 0),
        ("upsc one variable", "upsc", ["{T}", "battery.charge"], 0),
        ("upsc ups.status", "upsc", ["{T}", "ups.status"], 0),
        ("upsc -l host:port", "upsc", ["-l", "{H}"], 0),
        ("upsc -L host:port", "upsc", ["-L", "{H}"], 0),
        ("upsc -c UPS@host:port", "upsc", ["-c", "{T}"], 0),
        ("upsc unknown UPS", "upsc", ["nosuchups@{H}"], 0),
        ("upsc unknown variable", "upsc", ["{T}", "no.such.var"], 0),
        ("upsc upper-case variable", "upsc", ["{T}", "BATTERY.CHARGE"], 0),
        ("upsc bad target", "upsc", ["@@@"], 0),
        ("upscmd -l", "upscmd", ["-l", "{T}"], 0),
        ("upscmd -l unknown UPS", "upscmd", ["-l", "nosuchups@{H}"], 0),
        ("upscmd load.off as admin", "upscmd", ["-u", "admin", "-p", "adminpass", "{T}", "load.off"], 0),
        ("upscmd load.off without rights", "upscmd", ["-u", "nobody", "-p", "nopass", "{T}", "load.off"], 0),
        ("upscmd load.off as upsmon slave", "upscmd", ["-u", "monuser", "-p", "secret", "{T}", "load.off"], 0),
        ("upscmd wrong password", "upscmd", ["-u", "admin", "-p", "wrong", "{T}", "load.off"], 0),
        ("upscmd unknown command", "upscmd", ["-u", "admin", "-p", "adminpass", "{T}", "beeper.toggle"], 0),
        ("upscmd -w load.off", "upscmd", ["-w", "-u", "admin", "-p", "adminpass", "{T}", "load.off"], 0),
        ("upsrw list", "upsrw", ["{T}"], 0),
        ("upsrw list unknown UPS", "upsrw", ["nosuchups@{H}"], 0),
        ("upsrw -s as admin", "upsrw", ["-s", "ups.load=42", "-u", "admin", "-p", "adminpass", "{T}"], 2.5),
        ("upsc after upsrw -s", "upsc", ["{T}", "ups.load"], 0),
        ("upsrw -s without rights", "upsrw", ["-s", "ups.load=5", "-u", "nobody", "-p", "nopass", "{T}"], 0),
        ("upsrw -s wrong password", "upsrw", ["-s", "ups.load=5", "-u", "admin", "-p", "wrong", "{T}"], 0),
        ("upsrw -s unknown variable", "upsrw", ["-s", "no.such.var=1", "-u", "admin", "-p", "adminpass", "{T}"], 0),
        ("upsrw -s too long", "upsrw", ["-s", "ups.serial=" + "X" * 40, "-u", "admin", "-p", "adminpass", "{T}"], 0),
        ("upsrw -s read-only", "upsrw", ["-s", "driver.name=foo", "-u", "admin", "-p", "adminpass", "{T}"], 0),
        ("upsrw -w -s as admin", "upsrw", ["-w", "-s", "ups.load=18", "-u", "admin", "-p", "adminpass", "{T}"], 2.5),
        ("upsc whole UPS after SETs", "upsc", ["{T}"], 0),
    ]


NAMES = [c[0] for c in cases()]


def expand(args, tree):
    host = "127.0.0.1:%d" % tree.port
    return [a.replace("{T}", tree.target()).replace("{H}", host) for a in args]


def norm(text, tree):
    """The port is the one thing that legitimately differs between the two runs."""
    return text.replace(":%d" % tree.port, ":PORT").replace(str(tree.port), "PORT")


def run():
    real, ours = peer.real_impl(), peer.our_impl()
    if "--baseline" in sys.argv or os.environ.get("INTEROP_BASELINE") == "1":
        ours = real
    tap = peer.Tap()
    need_real = real.missing("upsd", "dummy-ups", "upsc", "upscmd", "upsrw")
    need_ours = ours.missing("upsd", "dummy-ups")
    if need_real or need_ours:
        tap.ok(False, "programs present", "missing: real %s, ours %s" % (need_real, need_ours))
        for n in NAMES:
            tap.skip(n, "programs missing")
        return tap.done()
    trees = [peer.Tree("cl-ref"), peer.Tree("cl-ours")]
    try:
        for tree, impl in zip(trees, (real, ours)):
            if not tree.start(impl, impl):
                tap.ok(False, "%s stack starts" % impl.name, tree.diag())
                return tap.done()
        for name, prog, args, pause in cases():
            res = []
            for tree in trees:
                rc, out, err = tree.client(real, prog, expand(args, tree), timeout=30)
                res.append((rc, norm(out, tree), norm(err, tree)))
            if pause:
                time.sleep(pause)
            diag = None
            if res[0] != res[1]:
                diag = "\n".join("%s: rc=%d\n  stdout: %r\n  stderr: %r" % (
                    who, r[0], r[1][:1500], r[2][:500]) for who, r in zip(("ref", "ours"), res))
                diag += "\n" + "\n".join(
                    "  only %s: %s" % (who, ln)
                    for who, a, bb in (("ref", res[0][1], res[1][1]), ("ours", res[1][1], res[0][1]))
                    for ln in a.splitlines() if ln not in bb.splitlines())
            tap.ok(res[0] == res[1], name, diag)
            if name == "upsc one variable":
                tap.ok(res[0] == (0, "100\n", ""), "reference upsc prints battery.charge 100",
                       "got %r" % (res[0],))
        for tree in trees:
            alive = all(p.poll() is None for p in tree.procs.values())
            tap.ok(alive, "%s: daemons still running" % os.path.basename(tree.dir), tree.diag())
    finally:
        for tree in trees:
            tree.cleanup()
    return tap.done()


if __name__ == "__main__":
    peer.main_guard(run, NAMES + ["reference sanity", "ref daemons alive", "ours daemons alive"])
