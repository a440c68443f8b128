"""Shared helpers of the packaging tests: the real Helm and kubectl (scripts/get-kube-tools.sh), the
offline manifest validator (validator/, installed with `npm ci` into .tools/k8s-validator), and
rendering the chart. Everything installed goes under <repo>/.tools (gitignored) and is reused."""
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CHART = os.path.join(REPO, "helm", "kube-balancer")
TOOLS = os.path.join(REPO, ".tools")
VALIDATOR_SRC = os.path.join(HERE, "validator")
VALIDATOR_DIR = os.path.join(TOOLS, "k8s-validator")
INSTALL_TIMEOUT = 600  # seconds: npm downloads on a slow day


@contextlib.contextmanager
def tools_lock():
    """ctest runs tests in parallel: one installer at a time."""
    os.makedirs(TOOLS, exist_ok=True)
    with open(os.path.join(TOOLS, ".packaging.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run(cmd, check=True, timeout=300, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def stop_process(proc, timeout=30):
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kube_tools():
    """(helm, kubectl): real binaries fetched by scripts/get-kube-tools.sh."""
    with tools_lock():
        run(["bash", os.path.join(REPO, "scripts", "get-kube-tools.sh")], timeout=INSTALL_TIMEOUT)
    helm = os.path.join(TOOLS, "bin", "helm")
    kubectl = os.path.join(TOOLS, "bin", "kubectl")
    return helm, kubectl


def _validator_stamp():
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json", "kbvalidate.mjs"):
        with open(os.path.join(VALIDATOR_SRC, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def validator():
    """Path of kbvalidate.mjs installed with its pinned npm dependencies."""
    stamp_file = os.path.join(VALIDATOR_DIR, ".stamp")
    stamp = _validator_stamp()
    with tools_lock():
        current = ""
        if os.path.exists(stamp_file):
            with open(stamp_file) as f:
                current = f.read()
        if current != stamp or not os.path.isdir(os.path.join(VALIDATOR_DIR, "node_modules")):
            os.makedirs(VALIDATOR_DIR, exist_ok=True)
            for name in ("package.json", "package-lock.json", "kbvalidate.mjs"):
                shutil.copy(os.path.join(VALIDATOR_SRC, name), VALIDATOR_DIR)
            run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=VALIDATOR_DIR,
                timeout=INSTALL_TIMEOUT)
            with open(stamp_file, "w") as f:
                f.write(stamp)
    return os.path.join(VALIDATOR_DIR, "kbvalidate.mjs")


def yaml_docs(path):
    """Every YAML document of a file, as Python objects (YAML parsed by the npm `yaml` package)."""
    r = run(["node", validator(), "to-json", path])
    return json.loads(r.stdout)


def validate(files, crds=()):
    """(ok, report): strict schema validation of every document of `files`."""
    cmd = ["node", validator(), "validate"]
    for crd in crds:
        cmd += ["--crd", crd]
    r = run(cmd + list(files), check=False)
    if r.returncode not in (0, 1):
        raise AssertionError(f"validator failed: {r.stderr}")
    return r.returncode == 0, json.loads(r.stdout)


def errors_of(report):
    return [f"{e['file']}#{e['index']} {e['kind']}/{e['name']}: {err}" for e in report for err in e["errors"]]


def render(helm, workdir, values=(), release="kb", namespace="kb-system", extra=()):
    """helm template -> (path of the rendered file, documents)."""
    cmd = [helm, "template", release, CHART, "--namespace", namespace, "--include-crds"]
    for v in values:
        cmd += ["-f", v]
    r = run(cmd + list(extra))
    fd, path = tempfile.mkstemp(suffix=".yaml", dir=workdir)
    with os.fdopen(fd, "w") as f:
        f.write(r.stdout)
    return path, yaml_docs(path)


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]
