#!/usr/bin/env python3
"""Mixed stacks, ours against Debian's NUT 2.8.0, on tests/data/ellipse-eco-1200.dev:

1. our upsc against the real upsd (real dummy-ups): same output as the real upsc against it;
2. the real dummy-ups feeding our upsd: real upsc output equal to the all-real stack;
3. our dummy-ups feeding the real upsd: real upsc output equal to the all-real stack.

Each compares exit status, stdout and stderr (stderr without the NSS notice) of several upsc
forms. Prints TAP; SKIP without NUTREF."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402

FORMS = [("UPS@host:port", ["{T}"]), ("one variable", ["{T}", "battery.charge"]),
         ("-l", ["-l", "{H}"]), ("-L", ["-L", "{H}"]), ("-c", ["-c", "{T}"]),
         ("unknown UPS", ["nosuchups@{H}"]), ("unknown variable", ["{T}", "no.such.var"]),
         ("driver.name", ["{T}", "driver.name"])]
PARTS = [("our upsc vs real upsc, real upsd", "ours-upsc"),
         ("real dummy-ups feeding our upsd", "ours-upsd"),
         ("our dummy-ups feeding real upsd", "ours-driver")]
NAMES = ["%s: upsc %s" % (p, f) for p, _ in PARTS for f, _ in FORMS]


def expand(args, tree):
    host = "127.0.0.1:%d" % tree.port
    return [a.replace("{T}", tree.target()).replace("{H}", host) for a in args]


def norm(text, tree):
    return text.replace(str(tree.port), "PORT")


def runs(tree, impl):
    """Every upsc form against tree with impl's upsc: list of (rc, out, err)."""
    out = []
    for _, args in FORMS:
        rc, so, se = tree.client(impl, "upsc", expand(args, tree), timeout=30)
        out.append((rc, norm(so, tree), norm(se, tree)))
    return out


def compare(tap, part, ref, got):
    for (form, _), r, g in zip(FORMS, ref, got):
        diag = None
        if r != g:
            diag = "ref:  rc=%d out=%r err=%r\nours: rc=%d out=%r err=%r" % (
                r[0], r[1][:1200], r[2][:300], g[0], g[1][:1200], g[2][:300])
            diag += "\n" + "\n".join("  only %s: %s" % (who, ln) for who, a, b in
                                     (("ref", r[1], g[1]), ("ours", g[1], r[1]))
                                     for ln in a.splitlines() if ln not in b.splitlines())
        tap.ok(r == g, "%s: upsc %s" % (part, form), diag)


def stack_or_skip(tap, trees, tree, driver, upsd, part):
    """Start a stack; on failure report one failing line and skip the part's other forms."""
    trees.append(tree)
    if tree.start(driver, upsd):
        return True
    tap.ok(False, "%s: upsc %s" % (part, FORMS[0][0]), "stack did not start\n" + tree.diag())
    for form, _ in FORMS[1:]:
        tap.skip("%s: upsc %s" % (part, form), "stack did not start")
    return False


def run():
    real, ours = peer.real_impl(), peer.our_impl()
    if "--baseline" in sys.argv or os.environ.get("INTEROP_BASELINE") == "1":
        ours = real
    tap = peer.Tap()
    missing = real.missing("upsd", "dummy-ups", "upsc")
    if missing:
        tap.ok(False, "reference programs present", "missing: %s" % missing)
        return tap.done()
    trees = []
    try:
        ref_tree = peer.Tree("sv-ref")
        trees.append(ref_tree)
        if not ref_tree.start(real, real):
            tap.ok(False, "reference stack starts", ref_tree.diag())
            return tap.done()
        ref = runs(ref_tree, real)
        tap.ok(ref[1] == (0, "100\n", ""), "reference upsc prints battery.charge 100",
               "got %r" % (ref[1],))
        part = PARTS[0][0]
        if ours.missing("upsc"):
            for form, _ in FORMS:
                tap.ok(False, "%s: upsc %s" % (part, form), "our upsc is not built")
        else:
            compare(tap, part, ref, runs(ref_tree, ours))
        for (part, tag), (drv, srv) in zip(PARTS[1:], ((real, ours), (ours, real))):
            miss = ours.missing("upsd" if srv is ours else "dummy-ups")
            if miss:
                for form, _ in FORMS:
                    tap.ok(False, "%s: upsc %s" % (part, form), "ours missing: %s" % miss)
                continue
            tree = peer.Tree("sv-" + tag)
            if stack_or_skip(tap, trees, tree, drv, srv, part):
                compare(tap, part, ref, runs(tree, real))
        for tree in trees:
            alive = all(p.poll() is None for p in tree.procs.values())
            tap.ok(alive, "%s: daemons still running" % os.path.basename(tree.dir), tree.diag())
    finally:
        for tree in trees:
            tree.cleanup()
    return tap.done()


if __name__ == "__main__":
    peer.main_guard(run, NAMES + ["reference sanity", "ref alive", "ours-upsd alive", "ours-driver alive"])
