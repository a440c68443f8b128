"""TLS material made with the openssl CLI: a CA and a server certificate for 127.0.0.1/localhost,
plus a kubeconfig and a service-account style directory that point at the server. Existing
material in the directory is reused, so a restarted server keeps the CA its clients trust."""
import base64
import os
import subprocess


def _run(argv):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv),
                                              result.stderr.decode(errors="replace")))


def ensure_certs(cert_dir):
    """Returns (ca_crt, server_crt, server_key) paths, creating what is missing."""
    os.makedirs(cert_dir, exist_ok=True)
    ca_crt = os.path.join(cert_dir, "ca.crt")
    ca_key = os.path.join(cert_dir, "ca.key")
    crt = os.path.join(cert_dir, "server.crt")
    key = os.path.join(cert_dir, "server.key")
    if all(os.path.exists(p) for p in (ca_crt, ca_key, crt, key)):
        return ca_crt, crt, key
    # ECDSA P-256 keys: quick to generate (tests start many servers), accepted by Go and OpenSSL.
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes", "-sha256", "-days", "3650",
          "-subj", "/CN=kube-balancer-test-ca", "-keyout", ca_key, "-out", ca_crt,
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    csr = os.path.join(cert_dir, "server.csr")
    _run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-sha256", "-subj", "/CN=kube-apiserver",
          "-keyout", key, "-out", csr])
    ext = os.path.join(cert_dir, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,"
                "DNS:kubernetes.default.svc\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
          "-days", "3650", "-sha256", "-extfile", ext, "-out", crt])
    for p in (csr, ext):
        os.unlink(p)
    return ca_crt, crt, key


def write_kubeconfig(cert_dir, port, token, ca_crt, namespace="default"):
    """Writes <cert_dir>/kubeconfig (CA inline, bearer token) and <cert_dir>/serviceaccount/
    (token, ca.crt, namespace: what a pod gets mounted). Returns the kubeconfig path."""
    with open(ca_crt, "rb") as f:
        ca = f.read()
    server = "https://127.0.0.1:%d" % port
    text = (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: test\n"
        "  cluster:\n"
        "    server: %s\n"
        "    certificate-authority-data: %s\n"
        "users:\n"
        "- name: test\n"
        "  user:\n"
        "    token: %s\n"
        "contexts:\n"
        "- name: test\n"
        "  context:\n"
        "    cluster: test\n"
        "    user: test\n"
        "    namespace: %s\n"
        "current-context: test\n"
    ) % (server, base64.b64encode(ca).decode(), token, namespace)
    path = os.path.join(cert_dir, "kubeconfig")
    _write_atomic(path, text)
    sa = os.path.join(cert_dir, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    _write_atomic(os.path.join(sa, "token"), token)
    _write_atomic(os.path.join(sa, "namespace"), namespace)
    _write_atomic(os.path.join(sa, "ca.crt"), ca.decode())
    return path


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
