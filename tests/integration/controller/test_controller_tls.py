#!/usr/bin/env python3
"""Ingress spec.tls end to end: the test API server, the real controller (--tls-dir) and the real
proxy (--https-listen). Certificates are made with the openssl CLI.
  - the kubernetes.io/tls Secret named by spec.tls becomes a `tls` entry in the table and two files
    with mode 0600 in --tls-dir, and the proxy serves that certificate for the host (SNI);
  - Secrets nobody names (TLS or not) are never kept by the controller;
  - a rotated Secret gets new files and a new table, and the proxy serves the new certificate;
  - a bad Secret (key of another certificate) gives a Warning Event naming the Secret and field,
    and the host keeps the certificate it had; a missing Secret gives an Event too."""
import base64
import os
import re
import socket
import ssl
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402

SECRETS = "/api/v1/namespaces/default/secrets"
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"
HOST = "shop.example.com"


def step(text):
    print("-- " + text, flush=True)


def make_cert(procs, name, cn):
    crt, key = procs.path(name + ".crt"), procs.path(name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "30", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:" + cn], check=True, capture_output=True)
    with open(crt) as c, open(key) as k:
        return c.read(), k.read()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def tls_secret(name, cert, key, type_="kubernetes.io/tls"):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "type": type_, "data": {"tls.crt": b64(cert), "tls.key": b64(key)}}


def tls_ingress(name, secret, host=HOST):
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"ingressClassName": "kube-balancer",
                     "tls": [{"hosts": [host], "secretName": secret}],
                     "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                                   "backend": backend}]}}]}}


def tls_files(table_path):
    """(certificate, key) paths of the table's tls entry, or None."""
    with open(table_path) as f:
        text = f.read()
    cert = re.search(r"certificate: \"?([^\"\s]+\.crt)", text)
    key = re.search(r"key: \"?([^\"\s]+\.key)", text)
    return (cert.group(1), key.group(1)) if cert and key and HOST in text else None


def served_certificate(port, host=HOST):
    """The DER certificate the proxy presents for SNI `host`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                return s.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None  # not listening yet


def https_wired(port):
    """Whether the proxy's HTTPS listener accepts connections (it is wired by the connection-shell
    work; until then the proxy loads and checks the certificates with every table but serves none)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def der(pem):
    return ssl.PEM_cert_to_DER_cert(pem)


def events_for(api, name):
    items = api.get("/api/v1/namespaces/default/events").get("items") or []
    return [e for e in items if e.get("involvedObject", {}).get("name") == name and
            e.get("reason") == "InvalidTLSSecret"]


def main():
    cs.main(run, ("controller.err", "proxy.err", "apiserver-0.err"))


def run(procs, args):
    cert_a, key_a = make_cert(procs, "a", HOST)
    cert_b, key_b = make_cert(procs, "b", HOST)

    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cs.BC_CRD)
    api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())
    api.create("/api/v1/namespaces/default/services", cs.service("web"))
    api.create(SECRETS, tls_secret("shop-tls", cert_a, key_a))
    api.create(SECRETS, tls_secret("unused-tls", cert_b, key_b))  # named by no Ingress
    api.create(SECRETS, tls_secret("opaque", "x", "y", type_="Opaque"))
    api.create(INGRESSES, tls_ingress("shop", "shop-tls"))

    table = procs.path("table.yaml")
    tls_dir = procs.path("tls")
    os.makedirs(tls_dir, mode=0o700)
    kbtest.write_atomic(table, "balancers: []\nroutes: []\n")
    https_port = kbtest.free_port()
    _, _, admin_port = procs.start_proxy(args.proxy, table, extra=["--https-listen", "127.0.0.1:%d" % https_port])

    def generation():
        return cs.admin_get(admin_port, "/api/balancers")["generation"]

    def proxy_loads(before, what):
        """The proxy applied a newer table (with --https-listen it loads and checks every certificate
        first, and rejects the whole table on a problem) and rejected none."""
        kbtest.wait_for(lambda: generation() > before, timeout=20, what="the proxy loading " + what)
        rejected = [line for line in procs.read("proxy.errlog").splitlines() if "table rejected" in line]
        kbtest.check(not rejected, "the proxy rejected a table: %s" % rejected)

    def serves(pem, what):
        if https_wired(https_port):
            kbtest.wait_for(lambda: served_certificate(https_port) == der(pem), timeout=20, what=what)
        else:
            print("   (the proxy's HTTPS listener is not wired yet: the served certificate is not checked)")

    gen0 = generation()
    controller = procs.start([args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
                              "--proxy-admin", "", "--leader-elect", "false", "--tls-dir", tls_dir],
                             "controller")[0]

    def files_now():
        if controller.poll() is not None:
            raise RuntimeError("controller exited with %s" % controller.returncode)
        return tls_files(table)

    step("the Secret becomes a tls entry and two 0600 files; the proxy serves it")
    crt, key = kbtest.wait_for(files_now, timeout=30, what="a tls entry in the table")
    kbtest.check(os.path.dirname(crt) == tls_dir, "files in --tls-dir: %s" % crt)
    for path in (crt, key):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        kbtest.check(mode == 0o600, "%s has mode %o, want 600" % (path, mode))
    kbtest.check(open(crt).read() == cert_a and open(key).read() == key_a, "the files hold the Secret's data")
    proxy_loads(gen0, "the table with the tls entry")
    serves(cert_a, "the proxy serving the Secret's certificate")

    step("only the named Secret is kept")
    listed = re.findall(r"secrets\.v1: listed (\d+)", procs.read("controller.err"))
    kbtest.check(listed and all(n in ("0", "1") for n in listed), "the secrets store held only named ones: %s" % listed)

    step("a rotated Secret: new files, new table, the proxy serves the new certificate")
    gen1 = generation()
    api.merge_patch(SECRETS + "/shop-tls", {"data": {"tls.crt": b64(cert_b), "tls.key": b64(key_b)}})
    def rotated():
        now = files_now()
        return now if now and now != (crt, key) else None

    crt2, key2 = kbtest.wait_for(rotated, timeout=20, what="new tls files after the rotation")
    kbtest.check(open(crt2).read() == cert_b and stat.S_IMODE(os.stat(key2).st_mode) == 0o600, "rotated files")
    kbtest.check(not os.path.exists(crt) or open(crt).read() == cert_a, "the old files were never rewritten")
    proxy_loads(gen1, "the rotated certificate")
    serves(cert_b, "the proxy serving the rotated certificate")

    step("a bad Secret: an Event naming Secret and field; the host keeps its certificate")
    api.merge_patch(SECRETS + "/shop-tls", {"data": {"tls.crt": b64(cert_a), "tls.key": b64(key_b)}})
    events = kbtest.wait_for(lambda: events_for(api, "shop"), timeout=20, what="an Event for the bad Secret")
    message = events[0]["message"]
    kbtest.check(events[0]["type"] == "Warning" and "spec.tls[0].secretName" in message and
                 "Secret default/shop-tls" in message and "data[tls.key]" in message, message)
    kbtest.check(files_now() == (crt2, key2), "the table keeps the previous files")
    if https_wired(https_port):
        kbtest.check(served_certificate(https_port) == der(cert_b), "the proxy keeps the previous certificate")

    step("a missing Secret: an Event")
    api.create(INGRESSES, tls_ingress("other", "nope", host="other.example.com"))
    events = kbtest.wait_for(lambda: events_for(api, "other"), timeout=20, what="an Event for the missing Secret")
    kbtest.check("Secret default/nope not found" in events[0]["message"], events[0]["message"])


if __name__ == "__main__":
    main()
