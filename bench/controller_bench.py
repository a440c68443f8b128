#!/usr/bin/env python3
"""kube-balancer-controller at scale: a benchmark (prints figures; never a pass/fail test).

On loopback it starts the test API server (tests/apiserver/kube_apiserver.py), bulk-creates
--services Services, Ingresses and EndpointSlices (--endpoints each, one slice per Service) through
the API with parallel keep-alive HTTPS connections, starts kube-balancer-proxy on an empty table and
kube-balancer-controller writing that table, then measures:

  - the time until the controller's first complete table (every Ingress host and every member);
  - --changes EndpointSlice updates, one at a time: API write -> table file containing the change
    (p50/p99/max), and for the first --proxy-checks of them, API write -> the proxy routing a
    request to the new member;
  - the API requests the controller made per change (GET /_test/stats before and after);
  - peak RSS (VmHWM) of the controller, and of the proxy and API server for context.

Endpoints are real: --endpoints + 1 kb-demo-backend processes listen on 127.0.0.1, 127.0.0.2, ...
(one port P, shared), every slice lists the first --endpoints of them on port P, and change k moves
one endpoint of Service k*37 mod N to the spare backend under a new pod name, which the table then
carries as the member's name. Everything started is killed on exit; the whole run is bounded by
--deadline seconds.

  bench/controller_bench.py --controller BIN --proxy BIN --backend BIN [--services 2000]
      [--endpoints 10] [--changes 50] [--proxy-checks 10] [--threads 8] [--deadline 300]
"""
import argparse
import http.client
import json
import os
import shutil
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "controller"))
import kbtest  # noqa: E402
from controller_support import BC_CRD  # noqa: E402

APISERVER = os.path.join(REPO, "tests", "apiserver", "kube_apiserver.py")
TOKEN = "kb-controller-bench-token"
NS = "default"
SERVICES = "/api/v1/namespaces/%s/services" % NS
SLICES = "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" % NS
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/%s/ingresses" % NS
EMPTY_TABLE = "balancers: []\nroutes: []\n"

# The BalancerCluster CRD must be served (controller_support.BC_CRD): the controller publishes
# nothing until every reflector, BalancerClusters included, has listed once.


class Deadline(Exception):
    pass


class Clock:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, what):
        left = self.end - time.monotonic()
        if left <= 0:
            raise Deadline("the --deadline ran out during: " + what)
        return left


class Api:
    """One keep-alive HTTPS connection to the API server (one per thread)."""

    def __init__(self, port, ca_file):
        ctx = ssl.create_default_context(cafile=ca_file)
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)

    def request(self, method, path, body=None, content_type="application/json"):
        headers = {"Authorization": "Bearer " + TOKEN, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read()
        if resp.status >= 300:
            raise RuntimeError("%s %s: HTTP %d: %s" % (method, path, resp.status, text[:300]))
        return json.loads(text) if text else None

    def close(self):
        self.conn.close()


# ---- objects ---------------------------------------------------------------------------------

def svc_name(i):
    return "s%04d" % i


def service(i):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc_name(i), "namespace": NS},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                     "selector": {"app": svc_name(i)}}}


def endpoint_slice(i, addresses, pods, port):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": svc_name(i) + "-a", "namespace": NS,
                         "labels": {"kubernetes.io/service-name": svc_name(i)}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True},
                           "targetRef": {"kind": "Pod", "namespace": NS, "name": p}}
                          for a, p in zip(addresses, pods)]}


def host_of(i):
    return "%s.bench.test" % svc_name(i)


def ingress(i):
    backend = {"service": {"name": svc_name(i), "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": svc_name(i), "namespace": NS},
            "spec": {"ingressClassName": "kube-balancer",
                     "rules": [{"host": host_of(i),
                                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]}}


# ---- helpers ---------------------------------------------------------------------------------

def bulk(port, ca_file, jobs, threads):
    """Runs (method, path, body) jobs on `threads` keep-alive connections; returns seconds taken."""
    lock = threading.Lock()
    pending = list(reversed(jobs))
    errors = []

    def worker():
        api = Api(port, ca_file)
        try:
            while True:
                with lock:
                    if not pending or errors:
                        return
                    method, path, body = pending.pop()
                try:
                    api.request(method, path, body)
                except Exception as e:  # noqa: BLE001 - reported below, the run stops
                    with lock:
                        errors.append(e)
        finally:
            api.close()

    start = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError("bulk create failed: %s" % errors[0])
    return time.monotonic() - start


def file_state(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def wait_file(path, predicate, clock, what, interval=0.002):
    """Polls the file (re-reading only when inode, mtime or size changed) until predicate(bytes);
    returns the monotonic time it first held."""
    seen = None
    while True:
        clock.left(what)
        state = file_state(path)
        if state is not None and state != seen:
            seen = state
            if predicate(read(path)):
                return time.monotonic()
        time.sleep(interval)


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def request_counts(api):
    return api.request("GET", "/_test/stats").get("requests", {})


def diff_counts(after, before):
    out = {}
    for k, v in after.items():
        d = v - before.get(k, 0)
        if d:
            out[k] = d
    return out


def backend_of(body):
    for part in body.split():
        if part.startswith("backend="):
            return part[len("backend="):]
    return None


# ---- the run ---------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--controller", required=True)
    p.add_argument("--proxy", required=True)
    p.add_argument("--backend", required=True)
    p.add_argument("--services", type=int, default=2000)
    p.add_argument("--endpoints", type=int, default=10, help="endpoints per Service (one slice each)")
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--proxy-checks", type=int, default=10,
                   help="of the changes, how many also wait for the proxy to route to the new member")
    p.add_argument("--threads", type=int, default=8, help="parallel connections for the bulk create")
    p.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole run")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, table)")
    args = p.parse_args()
    if not 1 <= args.endpoints <= 250 or args.services < 1 or args.changes < 0:
        p.error("--endpoints must be 1..250, --services >= 1, --changes >= 0")
    args.changes = min(args.changes, args.services)

    clock = Clock(args.deadline)
    t_start = time.monotonic()
    with kbtest.Procs() as procs:
        ok = False
        try:
            run(procs, args, clock)
            ok = True
        except (Deadline, TimeoutError, RuntimeError) as e:
            print("\nBENCH ABORTED after %.1f s: %s" % (time.monotonic() - t_start, e), file=sys.stderr)
            for name in ("controller.err", "proxy.err", "apiserver.err"):
                text = procs.read(name)
                if text:
                    print("==== %s (last 20 lines)\n%s" % (name, "\n".join(text.splitlines()[-20:])),
                          file=sys.stderr)
        finally:
            print("total run time %.1f s" % (time.monotonic() - t_start))
    if args.keep or not ok:
        print("work directory kept: " + procs.dir)
    else:
        shutil.rmtree(procs.dir, ignore_errors=True)
    return 0 if ok else 1


def run(procs, args, clock):
    n, e = args.services, args.endpoints
    figures = []

    def figure(name, value):
        figures.append((name, value))
        print("   %-58s %s" % (name, value), flush=True)

    # Backends: b1..b{e+1} on 127.0.0.1..127.0.0.{e+1}, all on the first one's port.
    first_port = procs.start_backend(args.backend, "b1", "r1")
    for k in range(2, e + 2):
        port_file = procs.path("b%d.port" % k)
        procs.start([args.backend, "--listen", "127.0.0.%d:%d" % (k, first_port), "--name", "b%d" % k,
                     "--route", "r%d" % k, "--port-file", port_file], "b%d" % k, port_file)
    addresses = ["127.0.0.%d" % k for k in range(1, e + 1)]
    spare = "127.0.0.%d" % (e + 1)

    # The API server, in memory (no --state-file: it rewrites the whole state on every write).
    state_dir = procs.path("apiserver")
    os.makedirs(state_dir)
    port_file = os.path.join(state_dir, "port")
    api_proc, api_port = procs.start([sys.executable, APISERVER, "--port", "0", "--port-file", port_file,
                                      "--cert-dir", state_dir, "--token", TOKEN, "--history", "10000"],
                                     "apiserver", port_file)
    ca_file = os.path.join(state_dir, "ca.crt")
    api = Api(api_port, ca_file)
    api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", BC_CRD)
    api.request("POST", "/apis/networking.k8s.io/v1/ingressclasses",
                {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                 "metadata": {"name": "kube-balancer"},
                 "spec": {"controller": "kubebalancer.io/ingress-controller"}})
    print("-- scale: %d Services + %d Ingresses + %d EndpointSlices, %d endpoints in total"
          % (n, n, n, n * e), flush=True)

    print("-- bulk create through the API (%d keep-alive HTTPS connections)" % args.threads, flush=True)
    pods = {i: ["%s-p%d" % (svc_name(i), j) for j in range(e)] for i in range(n)}
    took = bulk(api_port, ca_file, [("POST", SERVICES, service(i)) for i in range(n)], args.threads)
    figure("create %d Services" % n, "%.1f s (%.0f/s)" % (took, n / took))
    clock.left("bulk create")
    took = bulk(api_port, ca_file, [("POST", SLICES, endpoint_slice(i, addresses, pods[i], first_port))
                                    for i in range(n)], args.threads)
    figure("create %d EndpointSlices (%d endpoints each)" % (n, e), "%.1f s (%.0f/s)" % (took, n / took))
    clock.left("bulk create")
    took = bulk(api_port, ca_file, [("POST", INGRESSES, ingress(i)) for i in range(n)], args.threads)
    figure("create %d Ingresses" % n, "%.1f s (%.0f/s)" % (took, n / took))
    clock.left("bulk create")

    # As in the pod: the proxy starts on an empty table and the controller replaces it.
    table = procs.path("table.yaml")
    kbtest.write_atomic(table, EMPTY_TABLE)
    proxy, proxy_port, admin_port = procs.start_proxy(args.proxy, table)
    api.request("DELETE", "/_test/stats")
    print("-- controller start -> first complete table", flush=True)
    t0 = time.monotonic()
    controller, _ = procs.start([args.controller, "--kubeconfig", os.path.join(state_dir, "kubeconfig"),
                                 "--table-out", table, "--proxy-admin", "http://127.0.0.1:%d" % admin_port,
                                 "--lease-namespace", NS, "--identity", "kb-bench"], "controller")
    member_needle = b"http://%s:%d" % (addresses[0].encode(), first_port)
    host_needles = [host_of(0).encode(), host_of(n - 1).encode()]

    def complete(data):
        return (data.count(b".bench.test") >= n and data.count(b"- url: ") >= n * e
                and data.count(member_needle) >= n and all(h in data for h in host_needles))

    t_first = wait_file(table, complete, clock, "the first complete table")
    figure("time to first complete table (%d balancers, %d members)" % (n, n * e), "%.2f s" % (t_first - t0))
    data = read(table)
    figure("table file size", "%.1f MiB" % (len(data) / 1048576.0))

    # The proxy picks the table up: first request to the last Ingress's host answered by a member.
    def proxied(host):
        try:
            r = kbtest.http_get(proxy_port, "/", host=host, timeout=10)
        except OSError:
            return None
        return backend_of(r.text) if r.status == 200 else None

    kbtest.wait_for(lambda: proxied(host_of(n - 1)), timeout=clock.left("proxy loading the table"),
                    interval=0.01, what="the proxy to route the last Ingress host")
    t_proxy = time.monotonic()
    figure("controller start -> proxy routes the last host", "%.2f s (+%.2f s after the table)"
           % (t_proxy - t0, t_proxy - t_first))
    initial = request_counts(api)
    figure("API requests by the controller until then",
           "%d (%s)" % (sum(initial.values()), ", ".join("%s %d" % kv for kv in sorted(initial.items()))))

    print("-- %d EndpointSlice changes, one at a time (update of a whole slice; one endpoint moves to "
          "a new pod on %s)" % (args.changes, spare), flush=True)
    time.sleep(1.0)  # let the initial burst (lease, status reads) settle before counting
    before = request_counts(api)
    t_changes = time.monotonic()
    to_table, to_proxy, writes = [], [], []
    proxy_conn = None
    for k in range(args.changes):
        i = (k * 37) % n
        j = k % e
        new_addresses = list(addresses)
        new_addresses[j] = spare
        new_pods = list(pods[i])
        new_pods[j] = "chg-%04d-pod" % k
        needle = new_pods[j].encode()
        body = endpoint_slice(i, new_addresses, new_pods, first_port)
        w0 = time.monotonic()
        api.request("PUT", SLICES + "/" + body["metadata"]["name"], body)
        w1 = time.monotonic()
        writes.append(w1 - w0)
        seen = wait_file(table, lambda d: needle in d, clock, "change %d reaching the table" % k, 0.001)
        to_table.append(seen - w0)
        if k < args.proxy_checks:
            # Keep-alive requests with the change's Host until the spare backend answers; byrequests
            # over e members reaches it within e requests once the proxy has the new table.
            want = "b%d" % (e + 1)
            if proxy_conn is None:
                proxy_conn = kbtest.HttpClient(proxy_port, timeout=10)
            while True:
                clock.left("change %d reaching the proxy" % k)
                r = proxy_conn.request("GET", "/", host=host_of(i))
                if r.status == 200 and backend_of(r.text) == want:
                    break
                if r.header("connection", "").lower() == "close":
                    proxy_conn.close()
                    proxy_conn = kbtest.HttpClient(proxy_port, timeout=10)
            to_proxy.append(time.monotonic() - w0)
    if proxy_conn is not None:
        proxy_conn.close()
    change_seconds = time.monotonic() - t_changes
    after = request_counts(api)
    delta = diff_counts(after, before)
    ours = delta.pop("update endpointslices.discovery.k8s.io", 0)
    if ours != args.changes:
        delta["update endpointslices.discovery.k8s.io (besides ours)"] = ours - args.changes

    ms = lambda v: "%.1f ms" % (v * 1000.0)  # noqa: E731
    if to_table:
        figure("API write (PUT EndpointSlice) latency p50 / p99",
               "%s / %s" % (ms(percentile(writes, 50)), ms(percentile(writes, 99))))
        figure("API write -> table file has the change p50 / p99 / max (n=%d)" % len(to_table),
               "%s / %s / %s" % (ms(percentile(to_table, 50)), ms(percentile(to_table, 99)), ms(max(to_table))))
    if to_proxy:
        figure("API write -> proxy routes to the new member p50 / max (n=%d)" % len(to_proxy),
               "%s / %s" % (ms(percentile(to_proxy, 50)), ms(max(to_proxy))))
    total = sum(delta.values())
    figure("controller API requests during the changes (%.1f s)" % change_seconds,
           "%d (%s)" % (total, ", ".join("%s %d" % kv for kv in sorted(delta.items())) or "none"))
    if args.changes:
        # Lease renewals (get + update every 2 s) depend on elapsed time, not on the changes.
        lease = sum(v for k, v in delta.items() if "leases." in k)
        figure("controller API requests per change (without lease renewals)",
               "%.2f (%.2f with them)" % ((total - lease) / args.changes, total / args.changes))
    figure("controller peak RSS (VmHWM)", "%.1f MiB" % (kbtest.peak_rss_kib(controller.pid) / 1024.0))
    figure("proxy peak RSS (VmHWM)", "%.1f MiB" % (kbtest.peak_rss_kib(proxy.pid) / 1024.0))
    figure("API server (Python) peak RSS (VmHWM)", "%.1f MiB" % (kbtest.peak_rss_kib(api_proc.pid) / 1024.0))
    for proc, name in ((controller, "controller"), (proxy, "proxy")):
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s during the run" % (name, proc.returncode))
    api.close()

    print("\n| figure | value |\n|---|---|")
    for name, value in figures:
        print("| %s | %s |" % (name, value))


if __name__ == "__main__":
    sys.exit(main())
