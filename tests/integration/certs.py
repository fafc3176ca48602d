"""Test certificates made with the openssl command, for the TLS tests: a test
CA (ca.pem, ca.key) and certificates it signs, each NAME.pem with NAME.key,
in a directory of the caller's."""
import os
import subprocess

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
# name, subjectAltName, validity: a server certificate for this machine
SERVER = ("server", "DNS:localhost,IP:127.0.0.1", ["-days", "30"])


def make_ca(d):
    """The test CA, and the files `openssl ca` keeps its books in."""
    sh(d, "openssl", "req", "-x509", *EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
       "-subj", "/CN=tornado.h test CA")
    os.mkdir(os.path.join(d, "db"))
    open(os.path.join(d, "db", "index.txt"), "w").close()
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca=c\n[c]\ndatabase=db/index.txt\nnew_certs_dir=db\nserial=ca.srl\n"
                "default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n")
    with open(os.path.join(d, "ca.srl"), "w") as f:
        f.write("1000\n")


def sign(d, name, san, dates):
    """NAME.pem (signed by the test CA, for the names in san) and NAME.key."""
    sh(d, "openssl", "req", *EC, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n" % san)
    sh(d, "openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-notext",
       "-in", name + ".csr", "-out", name + ".pem", "-extfile", name + ".ext", *dates)


def sh(d, *args):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=d)
