"""TLS test helpers: NSS databases made with certutil at run time, a recording TCP relay,
and a Python TLS client for raw STARTTLS sessions. Nothing here writes outside the
directory it is given; no key is ever stored in the repository.

guide_db()  -- the setup guide's steps (tests/data/tls/guide-nssdb.sh): CA_nut and a
               self-signed "nut", database password protected.
Pki         -- a CA-signed server certificate (chosen CN, DNS SANs), client databases
               that trust that CA (with or without a client certificate), and one that
               trusts another CA only: what CERTVERIFY / CERTREQUEST tests need.
Relay       -- 127.0.0.1 relay to a port that records every byte in both directions.
"""
import os
import shutil
import socket
import ssl
import subprocess
import threading

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE_SCRIPT = os.path.join(REPO, "tests", "data", "tls", "guide-nssdb.sh")


def have_tools():
    return shutil.which("certutil") is not None and shutil.which("openssl") is not None


def _run(argv, stdin=None):
    p = subprocess.run(argv, input=stdin, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                     p.stderr.decode(errors="replace")[-400:]))
    return p.stdout.decode(errors="replace")


def guide_db(base, password):
    """Run the guide's steps in base/; returns (nssdb dir, certutil -L output)."""
    os.makedirs(base, exist_ok=True)
    out = _run(["sh", GUIDE_SCRIPT, base, password])
    return os.path.join(base, "nssdb"), out


class Pki:
    """A test CA in the server database, its server certificate, and client databases."""

    def __init__(self, base, password, server_cn="nutserver", sans=("nutserver", "localhost")):
        self.base = base
        self.password = password
        os.makedirs(base, exist_ok=True)
        self.pw = os.path.join(base, "pw")
        with open(self.pw, "w") as f:
            f.write(password + "\n")
        self.noise = os.path.join(base, "noise")
        with open(self.noise, "wb") as f:
            f.write(os.urandom(2048))
        self.serial = 100
        self.server = self._newdb("server", password=True)
        self._ca(self.server, "CA_nut", "CN=nutc test CA,O=nutc tests")
        self.ca_pem = self._export(self.server, "CA_nut", "ca.pem")
        self._sign_in_db(self.server, "nut", "CN=%s,O=nutc tests" % server_cn, sans)
        self.server_pem = self._export(self.server, "nut", "server.pem")

    def _next_serial(self):
        self.serial += 1
        return str(self.serial)

    def _newdb(self, name, password=False):
        path = os.path.join(self.base, name)
        os.makedirs(path)
        if password:
            _run(["certutil", "-N", "-d", path, "-f", self.pw])
        else:
            _run(["certutil", "-N", "-d", path, "--empty-password"])
        return path

    def _pwargs(self, db):
        return ["-f", self.pw] if db == self.server else []

    def _ca(self, db, nick, subject):
        _run(["certutil", "-S", "-x", "-d", db, "-n", nick, "-s", subject, "-t", "CT,,",
              "-2", "-m", self._next_serial(), "-z", self.noise] + self._pwargs(db),
             stdin=b"y\n\ny\n")

    def _sign_in_db(self, db, nick, subject, sans):
        argv = ["certutil", "-S", "-d", db, "-n", nick, "-s", subject, "-c", "CA_nut",
                "-t", ",,", "-m", self._next_serial(), "-z", self.noise] + self._pwargs(db)
        if sans:
            argv += ["-8", ",".join(sans)]
        _run(argv)

    def _export(self, db, nick, fname):
        path = os.path.join(self.base, fname)
        with open(path, "w") as f:
            f.write(_run(["certutil", "-L", "-d", db, "-n", nick, "-a"]))
        return path

    def client_db(self, name, client_cert=None):
        """A password-less database trusting CA_nut; client_cert: nickname of a client
        certificate signed by CA_nut to put in it (CN=<nickname>)."""
        db = self._newdb(name)
        _run(["certutil", "-A", "-d", db, "-n", "CA_nut", "-t", "CT,,", "-a", "-i", self.ca_pem])
        if client_cert:
            csr = os.path.join(self.base, name + ".csr")
            pem = os.path.join(self.base, name + ".pem")
            _run(["certutil", "-R", "-d", db, "-s", "CN=%s,O=nutc tests" % client_cert,
                  "-o", csr, "-a", "-z", self.noise])
            _run(["certutil", "-C", "-d", self.server, "-c", "CA_nut", "-i", csr, "-a",
                  "-o", pem, "-m", self._next_serial(), "-f", self.pw])
            _run(["certutil", "-A", "-d", db, "-n", client_cert, "-t", ",,", "-a", "-i", pem])
        return db

    def foreign_client_db(self, name):
        """A database trusting only a CA of its own (not the one that signed the server)."""
        db = self._newdb(name)
        _run(["certutil", "-S", "-x", "-d", db, "-n", "CA_other", "-s", "CN=other CA",
              "-t", "CT,,", "-2", "-m", self._next_serial(), "-z", self.noise],
             stdin=b"y\n\ny\n")
        return db

    def keyless_db(self, name):
        """A database holding the server certificate as "nut" but not its key."""
        db = self._newdb(name, password=True)
        _run(["certutil", "-A", "-d", db, "-n", "nut", "-t", ",,", "-a", "-i", self.server_pem,
              "-f", self.pw])
        return db


class Relay:
    """Listens on a free 127.0.0.1 port, forwards each connection to target_port and
    records the bytes: self.sessions is a list of {"c2s": bytes, "s2c": bytes}, plus
    "c2s_closed"/"s2c_closed" set once that direction has ended."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.sessions = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                c.close()
                continue
            rec = {"c2s": b"", "s2c": b""}
            with self.lock:
                self.sessions.append(rec)
            for a, b, key in ((c, s, "c2s"), (s, c, "s2c")):
                threading.Thread(target=self._pump, args=(a, b, rec, key), daemon=True).start()

    def _pump(self, src, dst, rec, key):
        src.settimeout(60)
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    rec[key + "_closed"] = True
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            with self.lock:
                rec[key] += data
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.stopping = True
        self.lsock.close()


def client_context(minimum=None, maximum=None, ciphers=None, cert=None):
    """A Python TLS client context that does not verify (the server side is under test)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


class TlsConn:
    """A raw session: STARTTLS in clear, then a Python TLS client; lines in both phases."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.tls = None
        self.buf = b""

    def _io(self):
        return self.tls or self.sock

    def send(self, line):
        self._io().sendall(line.encode() + b"\n")

    def readline(self):
        while b"\n" not in self.buf:
            try:
                data = self._io().recv(65536)
            except (OSError, ssl.SSLError):
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def cmd(self, line):
        self.send(line)
        return self.readline()

    def starttls(self, ctx=None):
        """STARTTLS + handshake; returns (reply, error or None)."""
        rep = self.cmd("STARTTLS")
        if rep != "OK STARTTLS":
            return rep, "no OK"
        try:
            self.tls = (ctx or client_context()).wrap_socket(self.sock)
        except (OSError, ssl.SSLError) as e:
            return rep, str(e) or e.__class__.__name__
        return rep, None

    def close(self):
        for s in (self.tls, self.sock):
            try:
                if s:
                    s.close()
            except OSError:
                pass
