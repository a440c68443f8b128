#!/usr/bin/env python3
"""Status users see at once, with two replicas (issue 12): a member's health flip reaches the
BalancerCluster status (and `kubectl get bc`) within 2 s, although --status-interval is 10 s: the
leader follows the proxy's state version; and --publish-service fills every Ingress's
status.loadBalancer from that Service: its cluster IP first, its load-balancer address once it has
one, shown by `kubectl get ingress` as the ADDRESS."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
import replicas_support as rs  # noqa: E402
from controller_support import kbtest  # noqa: E402

INGRESS = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web"
PROXY_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kb-proxy", "namespace": "default"},
                 "spec": {"type": "LoadBalancer", "selector": {"app": "kb"},
                          "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}


def main():
    if rs.find_kubectl() is None:
        print("SKIP: no kubectl (scripts/get-kube-tools.sh fetches one)")
        sys.exit(77)
    cs.main(run, rs.LOGS)


def ingress_addresses(api):
    return ((api.get(INGRESS).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []


def member_status(api, name):
    for m in (api.get(cs.BCS + "/web").get("status") or {}).get("members", []):
        if name in (m.get("name"), m.get("route")):
            return m
    return None


def run(procs, args):
    hc = {"healthCheck": {"method": "TCP", "interval": "200ms", "fails": 1, "passes": 1}}
    c = rs.Cluster(procs, args, bc_spec=hc, controller_args=["--publish-service", "default/kb-proxy"],
                   services=[PROXY_SERVICE])

    # --publish-service: the Service's cluster IP while it has no load-balancer address, then that.
    cluster_ip = c.api.get("/api/v1/namespaces/default/services/kb-proxy")["spec"]["clusterIP"]
    kbtest.wait_for(lambda: ingress_addresses(c.api) == [{"ip": cluster_ip}], timeout=15,
                    what="the Ingress address from the Service's cluster IP")
    c.api.merge_patch("/api/v1/namespaces/default/services/kb-proxy/status",
                      {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}})
    kbtest.wait_for(lambda: ingress_addresses(c.api) == [{"ip": "203.0.113.7"}], timeout=15,
                    what="the Ingress address from the Service's load-balancer status")
    out = rs.kubectl(c, "get", "ingress", "web")
    kbtest.check("203.0.113.7" in out, "kubectl get ingress shows no ADDRESS:\n%s" % out)

    # A health flip: pod-b2's backend stops; the leader's proxy marks it unhealthy; the status
    # follows within 2 s (the periodic refresh is 10 s away).
    kbtest.wait_for(lambda: (member_status(c.api, "pod-b2") or {}).get("healthy") is True, timeout=15,
                    what="pod-b2 healthy in the status")
    procs.stop(c.backend_procs["b2"])
    kbtest.wait_for(lambda: c.leader.member("pod-b2")["usable"] is False, timeout=10,
                    what="the leader's proxy marking pod-b2 unhealthy")
    rs.wait_within(lambda: (member_status(c.api, "pod-b2") or {}).get("healthy") is False, 2.0,
                   "the health flip in BalancerCluster status")
    out = rs.kubectl(c, "get", "balancercluster", "web")
    kbtest.check("1/2" in out, "kubectl get bc does not show 1/2 healthy:\n%s" % out)


if __name__ == "__main__":
    main()
