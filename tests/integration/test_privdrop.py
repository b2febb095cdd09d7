#!/usr/bin/env python3
"""Privilege drop of dummy-ups and upsd started as root with `-u nut`.

The private tree is laid out like Debian's: conf dir root:nut 0750 with
root:nut 0640 files, state and pid dirs root:nut 0770. Checked:
* dummy-ups -u nut (foreground): every uid/gid in /proc/PID/status is nut's,
  no supplementary group root, no effective capability; its socket in the
  state dir is nut-owned, mode 0660
* upsd -u nut: same ids; it still reads ups.conf/upsd.users, reaches the
  driver socket and serves the UPS; a SIGHUP reload (files read as nut)
  takes a new user into account
* background dummy-ups -u nut writes its PID file in the pid dir as nut
* the drop is real: with a state dir only root may write, the driver cannot
  create its socket and exits non-zero
* -u with an unknown user stops both daemons with a message naming it
* both chrooted (-r DIR, no user database inside): the user is looked up
  before the chroot, files and sockets are the ones inside, upsd serves

Needs root and the user `nut`; otherwise every test is SKIP.
"""
import os
import pwd
import shutil
import signal
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import (DEV_FILE, Conn, Stack, Tap, binary, is_ours, read_pidfile,  # noqa: E402
                   wait_for)

RUN_AS = "nut"
NAMES = ("dummy-ups -u nut: uid/gid/groups/caps", "dummy-ups -u nut: socket owned by nut, 0660",
         "upsd -u nut: uid/gid/groups/caps", "upsd -u nut: serves the UPS from the driver socket",
         "upsd -u nut: SIGHUP reload reads upsd.users as nut",
         "background dummy-ups -u nut: PID file written as nut",
         "dummy-ups -u nut: state dir not writable by nut -> socket refused, exit != 0",
         "dummy-ups -u nosuchuser: fatal, names the user",
         "upsd -u nosuchuser: fatal, names the user",
         "dummy-ups and upsd -u nut -r DIR: chrooted, dropped, upsd serves the inside data")


def proc_status(pid):
    """The Uid/Gid/Groups/CapEff lines of /proc/PID/status as a dict of word lists."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("Uid", "Gid", "Groups", "CapEff"):
                    out[key] = val.split()
    except OSError:
        pass
    return out


def dropped(pid, pw):
    """'' when pid runs fully as pw (all ids, no root group, no caps), else why not."""
    st = proc_status(pid)
    if not st:
        return "no /proc/%d/status" % pid
    want_u, want_g = str(pw.pw_uid), str(pw.pw_gid)
    if st.get("Uid") != [want_u] * 4:
        return "Uid %s, want %s x4" % (st.get("Uid"), want_u)
    if st.get("Gid") != [want_g] * 4:
        return "Gid %s, want %s x4" % (st.get("Gid"), want_g)
    if "0" in st.get("Groups", []):
        return "supplementary groups %s include root" % st.get("Groups")
    if int(st.get("CapEff", ["1"])[0], 16) != 0:
        return "CapEff %s" % st.get("CapEff")
    return ""


def wait_dropped(pid, pw, timeout=15):
    """'' once pid runs as pw (upsd accepts connections a moment before it drops), else why not."""
    if not pid:
        return "not running"
    wait_for(lambda: dropped(pid, pw) == "", timeout, 0.1)
    return dropped(pid, pw)


def debian_tree(s, pw):
    """conf root:nut 0750 (files 0640), state and pid root:nut 0770."""
    os.chown(s.conf, 0, pw.pw_gid)
    os.chmod(s.conf, 0o750)
    for name in os.listdir(s.conf):
        path = os.path.join(s.conf, name)
        os.chown(path, 0, pw.pw_gid)
        os.chmod(path, 0o640)
    for d in (s.state, s.pid):
        os.chown(d, 0, pw.pw_gid)
        os.chmod(d, 0o770)


def fatal_run(t, s, argv, name, what):
    rc, out, err = s.run(argv, timeout=30)
    text = out + err
    t.ok(rc not in (0, -999) and "nosuchuser" in text, name, "rc %d\n%s" % (rc, text))


def check_driver(t, s, pw):
    s.spawn("dummy-ups-eco", [binary("dummy-ups"), "-a", "eco", "-u", RUN_AS, "-F"])
    up = s.wait_unix(s.sockpath("eco"), timeout=20)
    pid = s.pid_of("dummy-ups-eco")
    why = wait_dropped(pid, pw) if up else "driver not up"
    t.ok(why == "", NAMES[0], why + "\n" + s.diag())
    try:
        st = os.stat(s.sockpath("eco"))
        good = (stat.S_ISSOCK(st.st_mode) and st.st_uid == pw.pw_uid
                and stat.S_IMODE(st.st_mode) == 0o660)
        diag = "uid %d mode %o" % (st.st_uid, stat.S_IMODE(st.st_mode))
    except OSError as e:
        good, diag = False, str(e)
    t.ok(good, NAMES[1], diag)


def check_upsd(t, s, pw):
    s.spawn("upsd", [binary("upsd"), "-u", RUN_AS, "-F"])
    up = s.wait_tcp(timeout=20)
    pid = s.pid_of("upsd")
    why = wait_dropped(pid, pw) if up else "upsd not up"
    t.ok(why == "", NAMES[2], why + "\n" + s.diag())
    t.ok(s.wait_ready("eco", timeout=30), NAMES[3], s.diag())


def login_ok(s, user, password):
    try:
        c = Conn(s.port)
    except OSError:
        return False
    try:
        return (c.cmd("USERNAME " + user) == "OK" and c.cmd("PASSWORD " + password) == "OK"
                and c.cmd("LOGIN eco") == "OK")
    finally:
        c.close()


def check_reload(t, s):
    before = login_ok(s, "newmon", "newpass")
    with open(os.path.join(s.conf, "upsd.users"), "a") as f:
        f.write("[newmon]\n\tpassword = newpass\n\tupsmon secondary\n")
    pid = s.pid_of("upsd")
    if pid:
        os.kill(pid, signal.SIGHUP)
    after = wait_for(lambda: login_ok(s, "newmon", "newpass"), 20, 0.3)
    t.ok(not before and after and s.pid_of("upsd"), NAMES[4],
         "before %s after %s\n%s" % (before, after, s.diag()))


def check_background(t, s, pw):
    s.stop("upsd")
    s.stop("dummy-ups-eco")
    pidfile = os.path.join(s.pid, "dummy-ups-eco.pid")
    s.run_daemon("dummy-ups-bg", [binary("dummy-ups"), "-a", "eco", "-u", RUN_AS], pidfile)
    # the file holds the pid before the fork first, then the daemon's own
    pid = wait_for(lambda: (lambda p: p if p and is_ours(p) and s.wait_unix(s.sockpath("eco"), 1)
                            else None)(read_pidfile(pidfile)), 20, 0.2)
    try:
        owner = os.stat(pidfile).st_uid
    except OSError:
        owner = None
    why = wait_dropped(pid, pw) if pid else "no running pid in %s" % pidfile
    t.ok(why == "" and owner == pw.pw_uid and read_pidfile(pidfile) == pid, NAMES[5],
         "%s; pid file owner %s\n%s" % (why, owner, s.logtail("dummy-ups-bg")))
    s.stop("dummy-ups-bg")


def check_not_writable(t, s):
    os.chmod(s.state, 0o755)      # root only
    rc, out, err = s.run([binary("dummy-ups"), "-a", "eco", "-u", RUN_AS, "-F"], timeout=30)
    t.ok(rc not in (0, -999) and not os.path.exists(s.sockpath("eco")), NAMES[6],
         "rc %d\n%s%s" % (rc, out, err))
    os.chmod(s.state, 0o770)


def check_chroot(t, s, pw):
    """The same absolute paths inside DIR lead to copies with another model."""
    root = os.path.join(s.dir, "chroot")
    conf, state = root + s.conf, root + s.state
    os.makedirs(conf)
    os.makedirs(state)
    for d in (root, conf, state):
        p = d
        while p != root and len(p) > len(root):
            os.chmod(p, 0o755)
            p = os.path.dirname(p)
    for name in ("ups.conf", "upsd.users"):
        shutil.copy(os.path.join(s.conf, name), conf)
    with open(os.path.join(conf, DEV_FILE), "w") as f:
        f.write("ups.status: OL\nups.model: Chrooted\n")
    debian_tree(type("T", (), {"conf": conf, "state": state, "pid": state})(), pw)
    s.spawn("dummy-ups-root", [binary("dummy-ups"), "-a", "eco", "-u", RUN_AS, "-F", "-r", root])
    s.spawn("upsd-root", [binary("upsd"), "-u", RUN_AS, "-F", "-r", root])
    served = s.wait_tcp(timeout=20) and wait_for(
        lambda: s.get("eco", "ups.model") == 'VAR eco ups.model "Chrooted"', 30, 0.3)
    why = ""
    for name in ("dummy-ups-root", "upsd-root"):
        w = wait_dropped(s.pid_of(name), pw)
        if w:
            why += "%s: %s; " % (name, w)
    t.ok(served and why == "" and os.path.exists(os.path.join(state, "dummy-ups-eco")),
         NAMES[9], "%s\n%s" % (why, s.diag()))
    s.stop("upsd-root")
    s.stop("dummy-ups-root")


def main():
    t = Tap()
    try:
        pw = pwd.getpwnam(RUN_AS)
    except KeyError:
        pw = None
    if os.geteuid() != 0 or pw is None:
        why = "needs root" if os.geteuid() != 0 else "no user %s" % RUN_AS
        for name in NAMES:
            t.skip(name, why)
        return t.done()
    t.bail_if_missing("dummy-ups", "upsd")
    s = Stack("privdrop")
    try:
        debian_tree(s, pw)
        check_driver(t, s, pw)
        check_upsd(t, s, pw)
        check_reload(t, s)
        check_background(t, s, pw)
        check_not_writable(t, s)
        fatal_run(t, s, [binary("dummy-ups"), "-a", "eco", "-u", "nosuchuser", "-F"],
                  NAMES[7], "driver")
        fatal_run(t, s, [binary("upsd"), "-u", "nosuchuser", "-F"], NAMES[8], "upsd")
        check_chroot(t, s, pw)
    finally:
        s.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
