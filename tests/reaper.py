"""Run one test program as a child subreaper and report the processes it leaves behind.

    python3 tests/reaper.py LEAKFILE -- COMMAND [ARGS...]

A test must stop every process it starts. Daemons that a test forgets are orphaned and,
because this process is a subreaper (prctl PR_SET_CHILD_SUBREAPER), they become our
children instead of init's: once COMMAND exits we wait a little for them to go, then stop
what is left (they are the test's own processes, nothing else is ever touched) and write
one line per leaked process to LEAKFILE. The exit status is COMMAND's.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def children():
    pids = []
    task_dir = "/proc/self/task"
    for tid in os.listdir(task_dir):
        try:
            with open(os.path.join(task_dir, tid, "children")) as f:
                pids += [int(w) for w in f.read().split()]
        except (OSError, ValueError):
            pass
    return pids


def describe(pid):
    def link(name):
        try:
            return os.readlink("/proc/%d/%s" % (pid, name))
        except OSError:
            return "?"
    return "%d %s (cwd %s)" % (pid, link("exe"), link("cwd"))


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def reap_orphans(keep):
    """Reap dead children other than keep (the test itself, which Popen waits for)."""
    for pid in children():
        if pid == keep:
            continue
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    leakfile, argv = sys.argv[1], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("reaper: prctl failed; leaks will not be seen", file=sys.stderr)
    proc = subprocess.Popen(argv)
    # orphans the test stops itself become our zombies: reap them as they die, so the test
    # sees them gone (/proc/PID disappears) exactly as it would under init
    while proc.poll() is None:
        reap_orphans(proc.pid)
        time.sleep(0.05)
    rc = proc.returncode
    deadline = time.time() + 5
    while time.time() < deadline:
        reap()
        if not children():
            break
        time.sleep(0.1)
    left = children()
    with open(leakfile, "w") as f:
        for pid in left:
            f.write(describe(pid) + "\n")
    for pid in left:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + 5
    while children() and time.time() < deadline:
        reap()
        time.sleep(0.1)
    for pid in children():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    reap()
    return rc


if __name__ == "__main__":
    sys.exit(main())
