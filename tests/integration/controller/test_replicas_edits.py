#!/usr/bin/env python3
"""Balancer-manager edits with two replicas (issue 12): an edit on the non-leader's proxy reaches the
BalancerCluster within 2 s and the leader's proxy within 2 s after, and the proxy that took it then
drops its own copy; two edits made at once on the two replicas both land; a `kubectl patch` that
removes an override stays removed and un-drains on both proxies (the resource is the truth); a
form edit of the Factor only, followed by the pod's termination, still drains it everywhere."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
import replicas_support as rs  # noqa: E402
from controller_support import kbtest  # noqa: E402


def main():
    if rs.find_kubectl() is None:
        print("SKIP: no kubectl (scripts/get-kube-tools.sh fetches one)")
        sys.exit(77)
    cs.main(run, rs.LOGS)


def run(procs, args):
    c = rs.Cluster(procs, args)
    leader, follower = c.leader, c.follower
    print("leader %s, follower %s" % (leader.identity, follower.identity))

    # 1. An edit on the replica that is not the leader: saved, then on the leader's proxy.
    follower.post_form({"w": "pod-b1", "w_lf": "7"})
    rs.wait_within(lambda: (c.override("pod-b1") or {}).get("loadFactor") == 7, 2.0,
                   "the non-leader's edit in spec.memberOverrides")
    rs.wait_within(lambda: (leader.member("pod-b1") or {}).get("loadfactor") == 7, 2.0,
                   "the non-leader's edit on the leader's proxy")
    kbtest.wait_for(lambda: follower.edits() == [], timeout=10,
                    what="the non-leader's proxy dropping its copy once its table carries the edit")
    kbtest.check(follower.member("pod-b1")["loadfactor"] == 7, "the table carries the edit on the non-leader")

    # 2. Two edits at the same moment on the two replicas: both land, on both proxies.
    posts = [threading.Thread(target=leader.post_form, args=({"w": "pod-b1", "w_lf": "4"},)),
             threading.Thread(target=follower.post_form, args=({"w": "pod-b2", "w_lf": "5"},))]
    for t in posts:
        t.start()
    for t in posts:
        t.join()
    rs.wait_within(lambda: (c.override("pod-b1") or {}).get("loadFactor") == 4 and
                   (c.override("pod-b2") or {}).get("loadFactor") == 5, 2.0, "two concurrent edits both saved")
    for r in c.replicas:
        kbtest.wait_for(lambda: (r.member("pod-b1")["loadfactor"], r.member("pod-b2")["loadfactor"]) == (4, 5),
                        timeout=5, what="both concurrent edits on proxy " + r.name)

    # 3. Drain pod-b1 through the leader's manager, then a user removes that override with kubectl:
    # it stays removed, and both proxies stop draining pod-b1.
    leader.post_form({"w": "pod-b1", "w_status_N": "1"})
    kbtest.wait_for(lambda: "+N" in (c.override("pod-b1") or {}).get("status", ""), timeout=5,
                    what="the drain in spec.memberOverrides")
    for r in c.replicas:
        kbtest.wait_for(lambda: "N" in r.member("pod-b1")["status"], timeout=5, what="pod-b1 draining on " + r.name)
    kbtest.wait_for(lambda: leader.edits() == [], timeout=10, what="the leader's proxy dropping its saved copy")
    index = next(i for i, o in enumerate(c.overrides()) if o.get("selector") == {"podName": "pod-b1"})
    rs.kubectl(c, "patch", "balancercluster", "web", "--type=json",
               "-p", json.dumps([{"op": "remove", "path": "/spec/memberOverrides/%d" % index}]))
    for r in c.replicas:
        rs.wait_within(lambda: "N" not in r.member("pod-b1")["status"], 2.0, "pod-b1 un-drained on " + r.name)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # nobody puts it back
        kbtest.check(c.override("pod-b1") is None, "the removed override came back: %s" % c.overrides())
        for r in c.replicas:
            m = r.member("pod-b1")
            kbtest.check("N" not in m["status"] and m["loadfactor"] == 1, "pod-b1 on %s: %s" % (r.name, m))
        time.sleep(0.25)

    # 4. The HTML form posts every field; changing only the Factor of pod-b2 on the non-leader records
    # only the factor, so when pod-b2 terminates it drains on both proxies.
    current = follower.member("pod-b2")
    fields = {"w": "pod-b2", "w_lf": "3", "w_ls": "0", "w_wr": current.get("route", ""),
              "w_rr": current.get("redirect", "")}
    fields.update({"w_status_" + letter: "0" for letter in "INDHRS"})
    follower.post_form(fields)
    mine = [e for e in follower.edits() if e["member"] == "pod-b2"]
    kbtest.check(len(mine) <= 1 and all("flags" not in e for e in mine), "the form edit recorded flags: %s" % mine)
    kbtest.wait_for(lambda: (c.override("pod-b2") or {}).get("loadFactor") == 3, timeout=5,
                    what="the factor edit saved")
    kbtest.check("status" not in c.override("pod-b2"), "status flags nobody changed: %s" % c.override("pod-b2"))
    terminating = cs.endpoint_slice("web-b2", "web", c.ports["b2"], "pod-b2")
    terminating["endpoints"][0]["conditions"] = {"ready": False, "serving": True, "terminating": True}
    terminating["metadata"]["resourceVersion"] = c.api.get(cs.SLICES + "/web-b2")["metadata"]["resourceVersion"]
    c.api.request("PUT", cs.SLICES + "/web-b2", terminating)
    for r in c.replicas:
        m = kbtest.wait_for(lambda: (lambda m: m if "N" in m["status"] else None)(r.member("pod-b2")), timeout=10,
                            what="the edited, terminating pod-b2 draining on " + r.name)
        kbtest.check(m["loadfactor"] == 3, "pod-b2 lost its edited factor on %s: %s" % (r.name, m))
    kbtest.wait_for(lambda: next((m for m in (c.api.get(cs.BCS + "/web").get("status") or {}).get("members", [])
                                  if "pod-b2" in (m.get("name"), m.get("route")) and "N" in m.get("status", "")),
                                 None), timeout=10, what="pod-b2 shown draining (+N) in the status")


if __name__ == "__main__":
    main()
