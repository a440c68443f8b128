#!/usr/bin/env python3
"""Tests of the test API server over HTTPS, as a Kubernetes client sees it: TLS and token auth,
discovery, CRUD and optimistic concurrency, patches, status subresources, selectors and paging,
watches (bookmarks, 410 Expired, selector transitions), CRDs (schemas, printer columns, Tables),
fault injection, request statistics and restarts with persisted state."""
import copy
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiserver_fixture import ApiServer  # noqa: E402

NS = "/api/v1/namespaces"
BC = "/apis/kubebalancer.io/v1alpha1/namespaces/default/balancerclusters"
ING = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
              "application/json")


def crd():
    """The fixture CRD as JSON (the YAML twin is fixtures/balancercluster-crd.yaml)."""
    status_conditions = {"type": "array", "items": {
        "type": "object", "required": ["type", "status"],
        "properties": {k: {"type": "string"} for k in
                       ("type", "status", "reason", "message", "lastTransitionTime")}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "balancerclusters.kubebalancer.io"},
        "spec": {
            "group": "kubebalancer.io", "scope": "Namespaced",
            "names": {"plural": "balancerclusters", "singular": "balancercluster",
                      "kind": "BalancerCluster", "listKind": "BalancerClusterList",
                      "shortNames": ["bc"], "categories": ["kubebalancer"]},
            "versions": [{
                "name": "v1alpha1", "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Method", "type": "string", "jsonPath": ".spec.lbmethod"},
                    {"name": "Members", "type": "integer", "jsonPath": ".status.members"},
                    {"name": "Ready", "type": "string",
                     "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                    {"name": "Sticky", "type": "string", "jsonPath": ".spec.stickysession",
                     "priority": 1},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "required": ["service"],
                             "x-kubernetes-validations": [{
                                 "rule": "!has(self.maxattempts) || self.maxattempts <= 50 || "
                                         "has(self.extra)",
                                 "message": "maxattempts above 50 needs extra"}],
                             "properties": {
                        "service": {"type": "string", "minLength": 1},
                        "lbmethod": {"type": "string", "default": "byrequests",
                                     "enum": ["byrequests", "bytraffic", "bybusyness", "heartbeat"]},
                        "stickysession": {"type": "string"},
                        "maxattempts": {"type": "integer", "minimum": 0, "maximum": 100},
                        "members": {"type": "array", "items": {"type": "object", "properties": {
                            "name": {"type": "string"},
                            "loadfactor": {"type": "integer", "minimum": 1, "maximum": 100,
                                           "default": 1}}}},
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
                    "status": {"type": "object", "properties": {
                        "observedGeneration": {"type": "integer"},
                        "members": {"type": "integer"},
                        "conditions": status_conditions}}}}}}]}}


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def bc(name, **spec):
    spec.setdefault("service", name)
    return {"apiVersion": "kubebalancer.io/v1alpha1", "kind": "BalancerCluster",
            "metadata": {"name": name}, "spec": spec}


def service(name, labels=None, ports=((80, "http"),)):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"selector": {"app": name},
                     "ports": [{"name": n, "port": p} for p, n in ports]}}


def ingress(name, path="/", pathtype="Prefix"):
    p = {"path": path, "backend": {"service": {"name": "web", "port": {"number": 80}}}}
    if pathtype:
        p["pathType"] = pathtype
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
            "spec": {"ingressClassName": "kube-balancer",
                     "rules": [{"host": "a.test", "http": {"paths": [p]}}]}}


class ServerTest(unittest.TestCase):
    """One server for the whole class; each test uses its own namespace or names."""
    extra_args = ("--bookmark-interval", "0.3")
    with_crd = True

    @classmethod
    def setUpClass(cls):
        cls.api = ApiServer(extra_args=cls.extra_args).start()
        if cls.with_crd:
            r = cls.api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd())
            assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()

    def ok(self, resp, status=200):
        self.assertEqual(resp.status, status, resp.body[:2000])
        return resp.json

    def status_error(self, resp, code, reason):
        self.assertEqual(resp.status, code, resp.body[:2000])
        body = resp.json
        self.assertEqual(body["kind"], "Status")
        self.assertEqual(body["apiVersion"], "v1")
        self.assertEqual(body["status"], "Failure")
        self.assertEqual(body["code"], code)
        self.assertEqual(body["reason"], reason)
        return body

    def namespace(self, name):
        r = self.api.create(NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        self.assertIn(r.status, (201, 409), r)
        return name


class TransportAndDiscoveryTest(ServerTest):
    def test_token_is_required(self):
        self.status_error(self.api.get("/api/v1/services", token=False), 401, "Unauthorized")
        self.status_error(self.api.get("/api/v1/services", token="wrong"), 401, "Unauthorized")
        self.ok(self.api.get("/api/v1/services"))

    def test_kubeconfig_and_serviceaccount_files(self):
        with open(self.api.kubeconfig) as f:
            text = f.read()
        self.assertIn("server: https://127.0.0.1:%d" % self.api.port, text)
        self.assertIn("token: test-token", text)
        import base64
        with open(self.api.ca_file, "rb") as f:
            ca = f.read()
        self.assertIn("certificate-authority-data: " + base64.b64encode(ca).decode(), text)
        sa = self.api.serviceaccount_dir
        with open(os.path.join(sa, "token")) as f:
            self.assertEqual(f.read(), "test-token")
        with open(os.path.join(sa, "namespace")) as f:
            self.assertEqual(f.read(), "default")
        with open(os.path.join(sa, "ca.crt"), "rb") as f:
            self.assertEqual(f.read(), ca)

    def test_certificate_names_localhost(self):
        import http.client
        import ssl
        ctx = ssl.create_default_context(cafile=self.api.ca_file)
        conn = http.client.HTTPSConnection("localhost", self.api.port, context=ctx, timeout=10)
        conn.request("GET", "/healthz")
        self.assertEqual(conn.getresponse().read(), b"ok")
        conn.close()

    def test_version_and_legacy_discovery(self):
        v = self.ok(self.api.get("/version"))
        self.assertEqual((v["major"], v["minor"]), ("1", "32"))
        self.assertEqual(self.ok(self.api.get("/api"))["versions"], ["v1"])
        core = self.ok(self.api.get("/api/v1"))
        self.assertEqual(core["kind"], "APIResourceList")
        by_name = {r["name"]: r for r in core["resources"]}
        for name in ("namespaces", "services", "endpoints", "pods", "events", "configmaps",
                     "services/status", "namespaces/status"):
            self.assertIn(name, by_name)
        self.assertEqual(by_name["services"]["shortNames"], ["svc"])
        self.assertTrue(by_name["services"]["namespaced"])
        self.assertFalse(by_name["namespaces"]["namespaced"])
        self.assertIn("watch", by_name["services"]["verbs"])
        self.assertEqual(by_name["services/status"]["verbs"], ["get", "patch", "update"])
        groups = self.ok(self.api.get("/apis"))
        names = [g["name"] for g in groups["groups"]]
        for g in ("networking.k8s.io", "discovery.k8s.io", "coordination.k8s.io", "events.k8s.io",
                  "apiextensions.k8s.io", "kubebalancer.io"):
            self.assertIn(g, names)
        net = self.ok(self.api.get("/apis/networking.k8s.io/v1"))
        net_names = {r["name"]: r for r in net["resources"]}
        self.assertIn("ingresses/status", net_names)
        self.assertFalse(net_names["ingressclasses"]["namespaced"])
        group = self.ok(self.api.get("/apis/kubebalancer.io"))
        self.assertEqual(group["preferredVersion"]["groupVersion"], "kubebalancer.io/v1alpha1")
        kb = self.ok(self.api.get("/apis/kubebalancer.io/v1alpha1"))
        kb_names = {r["name"]: r for r in kb["resources"]}
        self.assertEqual(kb_names["balancerclusters"]["shortNames"], ["bc"])
        self.assertEqual(kb_names["balancerclusters"]["kind"], "BalancerCluster")
        self.assertEqual(kb_names["balancerclusters"]["categories"], ["kubebalancer"])
        self.assertIn("balancerclusters/status", kb_names)
        self.status_error(self.api.get("/apis/nothere.io/v1"), 404, "NotFound")
        self.status_error(self.api.get("/api/v1/nothings"), 404, "NotFound")

    def test_aggregated_discovery(self):
        r = self.api.get("/apis", headers={"Accept": AGGREGATED})
        self.assertEqual(r.headers["Content-Type"],
                         "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
        doc = self.ok(r)
        self.assertEqual(doc["kind"], "APIGroupDiscoveryList")
        groups = {g["metadata"]["name"]: g for g in doc["items"]}
        kb = groups["kubebalancer.io"]["versions"][0]
        self.assertEqual(kb["version"], "v1alpha1")
        res = {x["resource"]: x for x in kb["resources"]}["balancerclusters"]
        self.assertEqual(res["scope"], "Namespaced")
        self.assertEqual(res["responseKind"]["kind"], "BalancerCluster")
        self.assertEqual(res["subresources"][0]["subresource"], "status")
        legacy = self.ok(self.api.get("/api", headers={"Accept": AGGREGATED}))
        self.assertEqual([g["metadata"]["name"] for g in legacy["items"]], [""])
        # A client that asks only for JSON gets the legacy documents.
        plain = self.api.get("/apis", headers={"Accept": "application/json"})
        self.assertEqual(plain.json["kind"], "APIGroupList")

    def test_openapi_v3_advertises_field_validation(self):
        index = self.ok(self.api.get("/openapi/v3"))["paths"]
        self.assertIn("api/v1", index)
        url = index["apis/kubebalancer.io/v1alpha1"]["serverRelativeURL"]
        doc = self.ok(self.api.get(url))
        patch = doc["paths"]["/apis/kubebalancer.io/v1alpha1/namespaces/{namespace}/"
                             "balancerclusters/{name}"]["patch"]
        self.assertEqual(patch["x-kubernetes-group-version-kind"]["kind"], "BalancerCluster")
        self.assertIn("fieldValidation", [p["name"] for p in patch["parameters"]])
        self.status_error(self.api.get("/openapi/v2"), 404, "NotFound")


class CrudTest(ServerTest):
    def test_create_get_and_server_fields(self):
        ns = self.namespace("crud")
        before = self.api.resource_version()
        obj = self.ok(self.api.create(NS + "/crud/services", service("web")), 201)
        meta = obj["metadata"]
        self.assertEqual(obj["kind"], "Service")
        self.assertEqual(meta["namespace"], ns)
        self.assertRegex(meta["uid"], r"^[0-9a-f-]{36}$")
        self.assertRegex(meta["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreater(int(meta["resourceVersion"]), before)
        self.assertEqual(meta["generation"], 1)
        self.assertRegex(obj["spec"]["clusterIP"], r"^10\.96\.")
        self.assertEqual(obj["spec"]["ports"][0]["protocol"], "TCP")
        self.assertEqual(obj["spec"]["ports"][0]["targetPort"], 80)
        got = self.ok(self.api.get(NS + "/crud/services/web"))
        self.assertEqual(got, obj)
        err = self.status_error(self.api.create(NS + "/crud/services", service("web")), 409,
                                "AlreadyExists")
        self.assertEqual(err["message"], 'services "web" already exists')
        err = self.status_error(self.api.get(NS + "/crud/services/nope"), 404, "NotFound")
        self.assertEqual(err["message"], 'services "nope" not found')
        self.assertEqual(err["details"], {"name": "nope", "group": "", "kind": "services"})
        self.status_error(self.api.create(NS + "/no-such-ns/services", service("x")), 404,
                          "NotFound")

    def test_generate_name(self):
        self.namespace("gen")
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "cm-"}}
        a = self.ok(self.api.create(NS + "/gen/configmaps", obj), 201)
        b = self.ok(self.api.create(NS + "/gen/configmaps", obj), 201)
        self.assertRegex(a["metadata"]["name"], r"^cm-[a-z0-9]{5}$")
        self.assertNotEqual(a["metadata"]["name"], b["metadata"]["name"])
        self.status_error(self.api.create(NS + "/gen/configmaps",
                                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
                          422, "Invalid")

    def test_metadata_round_trips_like_object_meta(self):
        self.namespace("meta")
        obj = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "m", "annotations": {}, "labels": {"a": "b"}, "bogus": 1,
                            "managedFields": [{"manager": "x"}], "finalizers": []}}
        meta = self.ok(self.api.create(NS + "/meta/configmaps", obj), 201)["metadata"]
        self.assertEqual(meta["labels"], {"a": "b"})
        for gone in ("annotations", "bogus", "managedFields", "finalizers"):
            self.assertNotIn(gone, meta)

    def test_bad_requests(self):
        self.namespace("bad")
        self.status_error(self.api.create(NS + "/bad/configmaps", b"{not json"), 400, "BadRequest")
        wrong_ns = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "a", "namespace": "other"}}
        self.status_error(self.api.create(NS + "/bad/configmaps", wrong_ns), 400, "BadRequest")
        wrong_kind = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}}
        self.status_error(self.api.create(NS + "/bad/configmaps", wrong_kind), 400, "BadRequest")
        bad_name = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_Valid"}}
        err = self.status_error(self.api.create(NS + "/bad/configmaps", bad_name), 422, "Invalid")
        self.assertEqual(err["details"]["causes"][0]["field"], "metadata.name")
        err = self.status_error(self.api.create(ING.replace("default", "bad"),
                                                ingress("i", pathtype=None)), 422, "Invalid")
        self.assertEqual(err["details"]["causes"][0]["field"],
                         "spec.rules[0].http.paths[0].pathType")
        svc = service("s", ports=((0, "a"),))
        self.status_error(self.api.create(NS + "/bad/services", svc), 422, "Invalid")

    def test_update_conflicts_and_noop(self):
        self.namespace("upd")
        path = NS + "/upd/configmaps"
        cm = self.ok(self.api.create(path, {"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": "c"}, "data": {"a": "1"}}), 201)
        stale = copy.deepcopy(cm)
        cm["data"]["a"] = "2"
        updated = self.ok(self.api.put(path + "/c", cm))
        self.assertGreater(int(updated["metadata"]["resourceVersion"]),
                           int(cm["metadata"]["resourceVersion"]))
        self.assertEqual(updated["metadata"]["uid"], cm["metadata"]["uid"])
        stale["data"]["a"] = "3"
        err = self.status_error(self.api.put(path + "/c", stale), 409, "Conflict")
        self.assertIn("the object has been modified", err["message"])
        # Writing the same content again is not a change: same resourceVersion, no event.
        rv = self.api.resource_version()
        again = self.ok(self.api.put(path + "/c", updated))
        self.assertEqual(again["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"])
        self.assertEqual(self.api.resource_version(), rv)
        # Built-ins may update without a resourceVersion (unconditionally)...
        del updated["metadata"]["resourceVersion"]
        updated["data"]["a"] = "4"
        self.ok(self.api.put(path + "/c", updated))
        renamed = dict(updated, metadata={"name": "other"})
        self.status_error(self.api.put(path + "/c", renamed), 400, "BadRequest")
        self.status_error(self.api.put(path + "/missing", dict(updated, metadata={"name": "missing"})),
                          404, "NotFound")

    def test_custom_resource_update_needs_resource_version(self):
        obj = self.ok(self.api.create(BC, bc("needs-rv")), 201)
        del obj["metadata"]["resourceVersion"]
        obj["spec"]["service"] = "changed"
        err = self.status_error(self.api.put(BC + "/needs-rv", obj), 422, "Invalid")
        self.assertIn("metadata.resourceVersion", err["message"])

    def test_status_subresource_and_generation(self):
        self.namespace("st")
        path = ING.replace("default", "st")
        body = ingress("web")
        body["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
        ing = self.ok(self.api.create(path, body), 201)
        self.assertEqual(ing["status"], {"loadBalancer": {}})  # status is dropped on create
        self.assertEqual(ing["metadata"]["generation"], 1)
        # A status write changes only status, never the generation.
        ing["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
        ing["spec"]["ingressClassName"] = "ignored"
        ing["metadata"]["labels"] = {"ignored": "yes"}
        st = self.ok(self.api.put(path + "/web/status", ing))
        self.assertEqual(st["status"]["loadBalancer"]["ingress"][0]["ip"], "10.0.0.1")
        self.assertEqual(st["spec"]["ingressClassName"], "kube-balancer")
        self.assertNotIn("labels", st["metadata"])
        self.assertEqual(st["metadata"]["generation"], 1)
        got = self.ok(self.api.get(path + "/web/status"))
        self.assertEqual(got["status"], st["status"])
        # A main-resource write ignores status; metadata changes keep the generation.
        st["status"] = {"loadBalancer": {}}
        st["metadata"]["labels"] = {"a": "b"}
        main = self.ok(self.api.put(path + "/web", st))
        self.assertEqual(main["status"]["loadBalancer"]["ingress"][0]["ip"], "10.0.0.1")
        self.assertEqual(main["metadata"]["generation"], 1)
        main["spec"]["rules"][0]["host"] = "b.test"
        main = self.ok(self.api.put(path + "/web", main))
        self.assertEqual(main["metadata"]["generation"], 2)
        # The same for a custom resource through patches.
        self.ok(self.api.create(BC, bc("gen")), 201)
        r = self.ok(self.api.patch(BC + "/gen/status", {"status": {"members": 2},
                                                        "spec": {"service": "ignored"}}))
        self.assertEqual((r["status"]["members"], r["spec"]["service"], r["metadata"]["generation"]),
                         (2, "gen", 1))
        r = self.ok(self.api.patch(BC + "/gen", {"status": {"members": 9},
                                                 "metadata": {"annotations": {"x": "y"}}}))
        self.assertEqual((r["status"]["members"], r["metadata"]["generation"]), (2, 1))
        r = self.ok(self.api.patch(BC + "/gen", {"spec": {"maxattempts": 3}}))
        self.assertEqual(r["metadata"]["generation"], 2)

    def test_delete_and_preconditions(self):
        self.namespace("del")
        path = NS + "/del/configmaps"
        cm = self.ok(self.api.create(path, {"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": "c"}}), 201)
        self.status_error(self.api.delete(path + "/c", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                        "preconditions": {"uid": "other"}}),
                          409, "Conflict")
        r = self.ok(self.api.delete(path + "/c", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                  "propagationPolicy": "Background"}))
        self.assertEqual((r["kind"], r["status"], r["details"]["uid"]),
                         ("Status", "Success", cm["metadata"]["uid"]))
        self.status_error(self.api.delete(path + "/c"), 404, "NotFound")

    def test_finalizers_delay_deletion(self):
        obj = bc("fin")
        obj["metadata"]["finalizers"] = ["kubebalancer.io/cleanup"]
        self.ok(self.api.create(BC, obj), 201)
        r = self.ok(self.api.delete(BC + "/fin"))
        self.assertIn("deletionTimestamp", r["metadata"])
        still = self.ok(self.api.get(BC + "/fin"))
        self.assertEqual(still["metadata"]["finalizers"], ["kubebalancer.io/cleanup"])
        self.ok(self.api.patch(BC + "/fin", {"metadata": {"finalizers": None}}))
        self.status_error(self.api.get(BC + "/fin"), 404, "NotFound")

    def test_system_namespaces_cannot_be_deleted(self):
        self.status_error(self.api.delete(NS + "/default"), 403, "Forbidden")
        self.ok(self.api.get(NS + "/default"))

    def test_deleting_a_namespace_deletes_its_objects(self):
        self.namespace("doomed")
        self.ok(self.api.create(NS + "/doomed/services", service("s")), 201)
        self.ok(self.api.delete(NS + "/doomed"))
        self.status_error(self.api.get(NS + "/doomed/services/s"), 404, "NotFound")
        self.status_error(self.api.get(NS + "/doomed"), 404, "NotFound")

    def test_every_builtin_kind(self):
        self.namespace("kinds")
        self.namespace("kinds-ev")
        objs = {
            "/api/v1/namespaces/kinds/endpoints": {"kind": "Endpoints", "apiVersion": "v1"},
            "/api/v1/namespaces/kinds/pods": {"kind": "Pod", "apiVersion": "v1",
                                               "spec": {"containers": [{"name": "c", "image": "i"}]}},
            "/api/v1/namespaces/kinds/events": {"kind": "Event", "apiVersion": "v1",
                                                 "involvedObject": {"kind": "Ingress", "name": "x"},
                                                 "reason": "Sync", "type": "Normal"},
            "/apis/events.k8s.io/v1/namespaces/kinds-ev/events": {
                "kind": "Event", "apiVersion": "events.k8s.io/v1", "reason": "Sync",
                "regarding": {"kind": "Service", "name": "y"},
                "action": "Render", "type": "Normal", "reportingController": "kb",
                "reportingInstance": "kb-1", "eventTime": "2026-01-01T00:00:00.000000Z"},
            "/apis/coordination.k8s.io/v1/namespaces/kinds/leases": {
                "kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
                "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}},
            "/apis/discovery.k8s.io/v1/namespaces/kinds/endpointslices": {
                "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4",
                "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}],
                "ports": [{"name": "http", "port": 8080}]},
            "/apis/networking.k8s.io/v1/ingressclasses": {
                "kind": "IngressClass", "apiVersion": "networking.k8s.io/v1",
                "spec": {"controller": "kubebalancer.io/ingress-controller"}},
        }
        for path, obj in objs.items():
            obj["metadata"] = {"name": "one", "labels": {"k": "v"}}
            created = self.ok(self.api.create(path, obj), 201)
            self.assertEqual(created["kind"], obj["kind"])
            got = self.ok(self.api.get(path + "/one"))
            self.assertEqual(got["metadata"]["uid"], created["metadata"]["uid"])
            listed = self.ok(self.api.get(path))
            self.assertEqual(listed["kind"], obj["kind"] + "List")
            self.assertEqual([i["metadata"]["name"] for i in listed["items"]], ["one"])
            # Typed lists carry no kind on their items, like the real server's.
            self.assertNotIn("kind", listed["items"][0])
        slice_ = self.ok(self.api.get("/apis/discovery.k8s.io/v1/namespaces/kinds/endpointslices/one"))
        self.assertEqual(slice_["ports"][0]["protocol"], "TCP")
        # The two Event APIs share storage, as in the real server; field selectors use each
        # API's own field names.
        core = self.ok(self.api.get("/api/v1/events", query={
            "fieldSelector": "involvedObject.kind=Service,reason=Sync"}))
        self.assertEqual([(e["metadata"]["namespace"], e["involvedObject"]["name"])
                          for e in core["items"]], [("kinds-ev", "y")])
        self.assertEqual(core["items"][0]["reportingComponent"], "kb")
        new = self.ok(self.api.get("/apis/events.k8s.io/v1/events", query={
            "fieldSelector": "regarding.kind=Ingress"}))
        self.assertEqual([(e["metadata"]["namespace"], e["regarding"]["name"])
                          for e in new["items"]], [("kinds", "x")])
        ev = self.ok(self.api.get("/apis/events.k8s.io/v1/namespaces/kinds/events/one"))
        self.assertEqual((ev["apiVersion"], ev["reason"]), ("events.k8s.io/v1", "Sync"))
        self.status_error(self.api.create("/api/v1/namespaces/kinds-ev/events", {
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": "one"}}), 409, "AlreadyExists")


class PatchTest(ServerTest):
    def test_merge_json_and_strategic_patches(self):
        self.namespace("patch")
        path = NS + "/patch/services"
        self.ok(self.api.create(path, service("s", ports=((80, "http"), (443, "https")))), 201)
        # Strategic merge patch: ports merge on their "port" key.
        smp = {"spec": {"ports": [{"port": 443, "targetPort": 8443}],
                        "$setElementOrder/ports": [{"port": 80}, {"port": 443}]},
               "metadata": {"labels": {"a": "1"}}}
        r = self.ok(self.api.patch(path + "/s", smp, "application/strategic-merge-patch+json"))
        self.assertEqual([(p["port"], p["targetPort"]) for p in r["spec"]["ports"]],
                         [(80, 80), (443, 8443)])
        r = self.ok(self.api.patch(path + "/s", {"spec": {"ports": [{"port": 80, "$patch": "delete"}]}},
                                   "application/strategic-merge-patch+json"))
        self.assertEqual([p["port"] for p in r["spec"]["ports"]], [443])
        # Merge patch replaces lists and deletes with null.
        r = self.ok(self.api.patch(path + "/s", {"metadata": {"labels": {"a": None, "b": "2"}}}))
        self.assertEqual(r["metadata"]["labels"], {"b": "2"})
        # JSON patch.
        ops = [{"op": "add", "path": "/metadata/annotations", "value": {"x/y": "1"}},
               {"op": "replace", "path": "/spec/ports/0/port", "value": 444},
               {"op": "test", "path": "/metadata/labels/b", "value": "2"},
               {"op": "remove", "path": "/metadata/labels/b"}]
        r = self.ok(self.api.patch(path + "/s", ops, "application/json-patch+json"))
        self.assertEqual((r["metadata"]["annotations"], r["spec"]["ports"][0]["port"]),
                         ({"x/y": "1"}, 444))
        self.assertNotIn("b", r["metadata"].get("labels", {}))
        self.status_error(self.api.patch(path + "/s", [{"op": "test", "path": "/spec/type",
                                                        "value": "NodePort"}],
                                         "application/json-patch+json"), 422, "Invalid")
        # A resourceVersion in a patch is a precondition.
        self.status_error(self.api.patch(path + "/s", {"metadata": {"resourceVersion": "1"}}),
                          409, "Conflict")
        self.status_error(self.api.patch(path + "/nope", {"metadata": {}}), 404, "NotFound")
        self.status_error(self.api.patch(path + "/s", {}, "text/plain"), 415, "UnsupportedMediaType")

    def test_custom_resources_reject_strategic_merge_patch(self):
        self.ok(self.api.create(BC, bc("smp")), 201)
        self.status_error(self.api.patch(BC + "/smp", {"spec": {"service": "x"}},
                                         "application/strategic-merge-patch+json"),
                          415, "UnsupportedMediaType")

    def test_server_side_apply(self):
        path = BC + "/ssa"
        body = bc("ssa", lbmethod="bytraffic")
        self.status_error(self.api.patch(path, body, "application/apply-patch+yaml"), 422, "Invalid")
        created = self.api.patch(path + "?fieldManager=test", body, "application/apply-patch+yaml")
        self.assertEqual(created.status, 201, created)
        body["spec"]["maxattempts"] = 2
        r = self.ok(self.api.patch(path + "?fieldManager=test&force=true", body,
                                   "application/apply-patch+yaml"))
        self.assertEqual((r["spec"]["lbmethod"], r["spec"]["maxattempts"]), ("bytraffic", 2))


class ListTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for ns in ("la", "lb"):
            cls.api.create(NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        labels = {"s1": {"app": "web", "tier": "front"}, "s2": {"app": "api", "tier": "back"},
                  "s3": {"app": "web"}, "s4": {}}
        for name, l in labels.items():
            cls.api.create(NS + "/la/services", service(name, l))
        cls.api.create(NS + "/lb/services", service("s1", {"app": "web"}))

    def names(self, path, **query):
        r = self.ok(self.api.get(path, query=query))
        return [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in r["items"]]

    def test_label_selectors(self):
        p = NS + "/la/services"
        n = lambda sel: [x[1] for x in self.names(p, labelSelector=sel)]  # noqa: E731
        self.assertEqual(n("app=web"), ["s1", "s3"])
        self.assertEqual(n("app==web,tier=front"), ["s1"])
        self.assertEqual(n("app!=web"), ["s2", "s4"])
        self.assertEqual(n("app in (web, api)"), ["s1", "s2", "s3"])
        self.assertEqual(n("app notin (web)"), ["s2", "s4"])
        self.assertEqual(n("tier"), ["s1", "s2"])
        self.assertEqual(n("!tier"), ["s3", "s4"])
        self.assertEqual(n("app=web,!tier"), ["s3"])
        self.status_error(self.api.get(p, query={"labelSelector": "app in web"}), 400, "BadRequest")

    def test_field_selectors_and_cluster_wide_lists(self):
        self.assertEqual(self.names("/api/v1/services", fieldSelector="metadata.name=s1"),
                         [("la", "s1"), ("lb", "s1")])
        self.assertEqual(self.names("/api/v1/services",
                                    fieldSelector="metadata.name=s1,metadata.namespace!=la"),
                         [("lb", "s1")])
        self.status_error(self.api.get("/api/v1/services", query={"fieldSelector": "spec.type=x"}),
                          400, "BadRequest")

    def test_list_metadata_and_paging(self):
        full = self.ok(self.api.get(NS + "/la/services"))
        self.assertEqual(full["kind"], "ServiceList")
        self.assertEqual(full["apiVersion"], "v1")
        rv = int(full["metadata"]["resourceVersion"])
        self.assertEqual(rv, self.api.resource_version())
        page = self.ok(self.api.get(NS + "/la/services", query={"limit": 3}))
        self.assertEqual(len(page["items"]), 3)
        self.assertEqual(page["metadata"]["remainingItemCount"], 1)
        # A change between pages does not show up in the later pages of the same list.
        self.ok(self.api.create(NS + "/la/services", service("s9")), 201)
        rest = self.ok(self.api.get(NS + "/la/services",
                                    query={"limit": 3, "continue": page["metadata"]["continue"]}))
        self.assertEqual([i["metadata"]["name"] for i in page["items"] + rest["items"]],
                         ["s1", "s2", "s3", "s4"])
        self.assertNotIn("continue", rest["metadata"])
        self.assertEqual(rest["metadata"]["resourceVersion"], page["metadata"]["resourceVersion"])
        self.ok(self.api.delete(NS + "/la/services/s9"))
        self.status_error(self.api.get(NS + "/la/services", query={"continue": "garbage"}),
                          400, "BadRequest")
        # resourceVersion semantics on list: "0" and a reached version are served at once; a
        # future version fails like the real server's "Too large resource version".
        # resourceVersion=0 lists come from the watch cache: the real server ignores limit there.
        zero = self.ok(self.api.get(NS + "/la/services", query={"resourceVersion": "0", "limit": 1}))
        self.assertEqual(len(zero["items"]), 4)
        self.assertNotIn("continue", zero["metadata"])
        self.ok(self.api.get(NS + "/la/services", query={"resourceVersion": str(rv)}))
        self.status_error(self.api.get(NS + "/la/services",
                                       query={"resourceVersion": str(rv + 100000)}), 504, "Timeout")

    def test_deletecollection(self):
        self.namespace("dc")
        for name in ("a", "b", "c"):
            self.api.create(NS + "/dc/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": name,
                                                                 "labels": {"x": name}}})
        self.ok(self.api.delete(NS + "/dc/configmaps?labelSelector=x+in+(a,b)"))
        self.assertEqual([n for _, n in self.names(NS + "/dc/configmaps")], ["c"])


class TableTest(ServerTest):
    def test_custom_resource_columns(self):
        self.ok(self.api.create(BC, bc("tbl", stickysession="JSESSIONID")), 201)
        self.ok(self.api.patch(BC + "/tbl/status", {"status": {
            "members": 3, "conditions": [{"type": "Progressing", "status": "False"},
                                         {"type": "Ready", "status": "True"}]}}))
        r = self.api.get(BC, headers={"Accept": TABLE})
        self.assertEqual(r.headers["Content-Type"], "application/json;as=Table;v=v1;g=meta.k8s.io")
        table = self.ok(r)
        self.assertEqual(table["kind"], "Table")
        self.assertEqual([c["name"] for c in table["columnDefinitions"]],
                         ["Name", "Method", "Members", "Ready", "Sticky", "Age"])
        self.assertEqual(table["columnDefinitions"][4]["priority"], 1)
        row = [r for r in table["rows"] if r["cells"][0] == "tbl"][0]
        self.assertEqual(row["cells"][:5], ["tbl", "byrequests", 3, "True", "JSESSIONID"])
        self.assertRegex(row["cells"][5], r"^\d+s$")
        self.assertEqual(row["object"]["kind"], "PartialObjectMetadata")
        self.assertEqual(row["object"]["metadata"]["name"], "tbl")
        one = self.ok(self.api.get(BC + "/tbl?includeObject=Object", headers={"Accept": TABLE}))
        self.assertEqual(one["rows"][0]["object"]["spec"]["service"], "tbl")
        # Missing values are null cells (kubectl prints <none>).
        self.ok(self.api.create(BC, bc("bare")), 201)
        bare = self.ok(self.api.get(BC + "/bare", headers={"Accept": TABLE}))
        self.assertEqual(bare["rows"][0]["cells"][2:5], [None, None, None])

    def test_builtin_columns(self):
        table = self.ok(self.api.get(NS, headers={"Accept": TABLE}))
        self.assertEqual([c["name"] for c in table["columnDefinitions"]], ["Name", "Status", "Age"])
        self.assertIn(["default", "Active"], [r["cells"][:2] for r in table["rows"]])
        self.ok(self.api.create(ING, ingress("cols")), 201)
        self.ok(self.api.patch(ING + "/cols/status", {"status": {"loadBalancer": {
            "ingress": [{"ip": "127.0.0.1"}, {"hostname": "lb.test"}]}}}))
        table = self.ok(self.api.get(ING + "/cols", headers={"Accept": TABLE}))
        self.assertEqual([c["name"] for c in table["columnDefinitions"]],
                         ["Name", "Class", "Hosts", "Address", "Ports", "Age"])
        self.assertEqual(table["rows"][0]["cells"][:5],
                         ["cols", "kube-balancer", "a.test", "127.0.0.1,lb.test", "80"])
        self.ok(self.api.create("/api/v1/namespaces/default/services", service("cols")), 201)
        table = self.ok(self.api.get("/api/v1/namespaces/default/services/cols",
                                     headers={"Accept": TABLE}))
        names = [c["name"] for c in table["columnDefinitions"]]
        self.assertEqual(names, ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age",
                                 "Selector"])
        cells = table["rows"][0]["cells"]
        self.assertEqual((cells[1], cells[3], cells[4], cells[6]),
                         ("ClusterIP", "<none>", "80/TCP", "app=cols"))
        self.assertEqual(table["columnDefinitions"][6]["priority"], 1)
        # Events print without a Name column, as `kubectl get events` shows them.
        self.ok(self.api.create("/api/v1/namespaces/default/events", {
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": "ev-cols"},
            "involvedObject": {"kind": "Ingress", "name": "cols", "namespace": "default"},
            "reason": "Rendered", "message": "ok", "type": "Normal",
            "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}), 201)
        table = self.ok(self.api.get("/api/v1/namespaces/default/events/ev-cols",
                                     headers={"Accept": TABLE}))
        self.assertEqual([c["name"] for c in table["columnDefinitions"]],
                         ["Last Seen", "Type", "Reason", "Object", "Message"])
        self.assertEqual(table["rows"][0]["cells"][1:], ["Normal", "Rendered", "ingress/cols", "ok"])
        # Kinds without a printer get Name and Age.
        table = self.ok(self.api.get("/api/v1/namespaces/default/pods", headers={"Accept": TABLE}))
        self.assertEqual([c["name"] for c in table["columnDefinitions"]], ["Name", "Age"])


class CustomResourceTest(ServerTest):
    def test_defaults_and_validation(self):
        obj = bc("val", members=[{"name": "a"}])
        r = self.ok(self.api.create(BC, obj), 201)
        self.assertEqual(r["spec"]["lbmethod"], "byrequests")
        self.assertEqual(r["spec"]["members"][0]["loadfactor"], 1)
        bad = bc("bad", lbmethod="random", maxattempts=-1)
        del bad["spec"]["service"]
        err = self.status_error(self.api.create(BC, bad), 422, "Invalid")
        fields = sorted(c["field"] for c in err["details"]["causes"])
        self.assertEqual(fields, ["spec.lbmethod", "spec.maxattempts", "spec.service"])
        self.assertIn('BalancerCluster.kubebalancer.io "bad" is invalid', err["message"])
        # x-kubernetes-validations (CEL) on spec.
        err = self.status_error(self.api.create(BC, bc("cel", maxattempts=60)), 422, "Invalid")
        self.assertEqual(err["details"]["causes"], [{
            "reason": "FieldValueInvalid", "field": "spec",
            "message": 'Invalid value: "object": maxattempts above 50 needs extra'}])
        self.ok(self.api.create(BC, bc("cel", maxattempts=60, extra={"why": "test"})), 201)
        wrong_type = bc("wt", maxattempts="three")
        self.status_error(self.api.create(BC, wrong_type), 422, "Invalid")

    def test_unknown_fields(self):
        obj = bc("unk", extra={"anything": {"goes": 1}})
        obj["spec"]["bogus"] = 1
        err = self.status_error(self.api.create(BC + "?fieldValidation=Strict", obj), 400,
                                "BadRequest")
        self.assertIn('unknown field "spec.bogus"', err["message"])
        r = self.api.create(BC + "?fieldValidation=Warn", obj)
        self.assertEqual(r.status, 201, r)
        self.assertIn('unknown field \\"spec.bogus\\"', r.headers["Warning"])
        self.assertNotIn("bogus", r.json["spec"])
        self.assertEqual(r.json["spec"]["extra"], {"anything": {"goes": 1}})

    def test_crd_lifecycle(self):
        other = crd()
        other["metadata"]["name"] = "widgets.example.io"
        other["spec"]["group"] = "example.io"
        other["spec"]["scope"] = "Cluster"
        other["spec"]["names"] = {"plural": "widgets", "kind": "Widget"}
        other["spec"]["versions"][0]["name"] = "v1"
        del other["spec"]["versions"][0]["additionalPrinterColumns"]
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        created = self.ok(self.api.create(path, other), 201)
        conds = {c["type"]: c["status"] for c in created["status"]["conditions"]}
        self.assertEqual(conds, {"NamesAccepted": "True", "Established": "True"})
        self.assertEqual(created["status"]["acceptedNames"]["listKind"], "WidgetList")
        w = {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w1"},
             "spec": {"service": "x"}}
        self.ok(self.api.create("/apis/example.io/v1/widgets", w), 201)
        table = self.ok(self.api.get("/apis/example.io/v1/widgets", headers={"Accept": TABLE}))
        self.assertEqual([c["name"] for c in table["columnDefinitions"]], ["Name", "Age"])
        lst = self.ok(self.api.get("/apis/example.io/v1/widgets"))
        self.assertEqual(lst["kind"], "WidgetList")
        self.assertEqual(lst["items"][0]["kind"], "Widget")  # unstructured lists keep kinds
        with self.api.watch("/apis/example.io/v1/widgets",
                            resourceVersion=str(self.api.resource_version())) as w:
            self.ok(self.api.delete(path + "/widgets.example.io"))
            # Its objects go, then the watch ends: the resource is no longer served.
            gone = w.next_event()
            self.assertEqual((gone["type"], gone["object"]["metadata"]["name"]), ("DELETED", "w1"))
            self.assertIsNone(w.next_event())
        self.status_error(self.api.get("/apis/example.io/v1/widgets"), 404, "NotFound")
        self.assertNotIn("example.io", [g["name"] for g in self.ok(self.api.get("/apis"))["groups"]])
        # Re-creating it serves an empty resource: its objects went with it.
        other["metadata"].pop("resourceVersion", None)
        self.ok(self.api.create(path, other), 201)
        self.assertEqual(self.ok(self.api.get("/apis/example.io/v1/widgets"))["items"], [])
        bad = crd()
        bad["metadata"]["name"] = "wrong.name"
        self.status_error(self.api.create(path, bad), 422, "Invalid")


class WatchTest(ServerTest):
    extra_args = ("--bookmark-interval", "0.3", "--history", "50")

    def cm(self, ns, name, labels=None):
        return self.ok(self.api.create(NS + "/%s/configmaps" % ns, {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}}), 201)

    def test_watch_from_resource_version(self):
        self.namespace("w1")
        first = self.cm("w1", "a")
        rv = first["metadata"]["resourceVersion"]
        with self.api.watch(NS + "/w1/configmaps", resourceVersion=rv) as w:
            self.assertEqual(w.status, 200)
            self.assertEqual(w.headers["Transfer-Encoding"], "chunked")
            self.cm("w1", "b")
            self.ok(self.api.patch(NS + "/w1/configmaps/b", {"data": {"k": "v"}}))
            self.ok(self.api.delete(NS + "/w1/configmaps/b"))
            events = [w.next_event() for _ in range(3)]
        self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "DELETED"])
        self.assertEqual([e["object"]["metadata"]["name"] for e in events], ["b", "b", "b"])
        self.assertEqual(events[0]["object"]["kind"], "ConfigMap")
        self.assertEqual(events[0]["object"]["apiVersion"], "v1")
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(rvs, sorted(rvs))
        self.assertGreater(rvs[0], int(rv))

    def test_watch_from_zero_sends_current_state_and_filters_namespace(self):
        self.namespace("w2")
        self.namespace("w2other")
        self.cm("w2", "x")
        self.cm("w2", "y")
        self.cm("w2other", "z")
        with self.api.watch(NS + "/w2/configmaps", resourceVersion="0") as w:
            first = [w.next_event(), w.next_event()]
            self.cm("w2other", "ignored")
            self.cm("w2", "new")
            third = w.next_event()
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in first],
                         [("ADDED", "x"), ("ADDED", "y")])
        self.assertEqual((third["type"], third["object"]["metadata"]["name"]), ("ADDED", "new"))

    def test_selector_transitions(self):
        self.namespace("w3")
        obj = self.cm("w3", "moving", {"app": "web"})
        with self.api.watch(NS + "/w3/configmaps", resourceVersion=obj["metadata"]["resourceVersion"],
                            labelSelector="app=web") as w:
            self.ok(self.api.patch(NS + "/w3/configmaps/moving", {"metadata": {"labels": {"app": "api"}}}))
            left = w.next_event()
            self.ok(self.api.patch(NS + "/w3/configmaps/moving", {"metadata": {"labels": {"app": "web"}}}))
            back = w.next_event()
        self.assertEqual(left["type"], "DELETED")
        self.assertEqual(left["object"]["metadata"]["labels"], {"app": "web"})  # its last visible state
        self.assertEqual(back["type"], "ADDED")

    def test_bookmarks_and_timeout(self):
        self.namespace("w4")
        start = self.api.resource_version()
        with self.api.watch(NS + "/w4/configmaps", resourceVersion=str(start),
                            allowWatchBookmarks="true", timeoutSeconds="3") as w:
            events = []
            while True:
                e = w.next_event(timeout=20)
                if e is None:
                    break  # the server ended the watch at timeoutSeconds
                events.append(e)
        self.assertTrue(events)
        self.assertTrue(all(e["type"] == "BOOKMARK" for e in events))
        b = events[0]["object"]
        self.assertEqual((b["kind"], b["apiVersion"]), ("ConfigMap", "v1"))
        self.assertGreaterEqual(int(b["metadata"]["resourceVersion"]), start)

    def test_send_initial_events(self):
        self.namespace("w5")
        self.cm("w5", "one")
        with self.api.watch(NS + "/w5/configmaps", sendInitialEvents="true",
                            resourceVersionMatch="NotOlderThan", allowWatchBookmarks="true") as w:
            events = w.events_until(lambda e: e["type"] == "BOOKMARK")
        self.assertEqual(events[0]["type"], "ADDED")
        self.assertEqual(events[-1]["object"]["metadata"]["annotations"],
                         {"k8s.io/initial-events-end": "true"})

    def test_expired_resource_version(self):
        self.namespace("w6")
        old = self.cm("w6", "old")["metadata"]["resourceVersion"]
        self.cm("w6", "newer")
        self.api.faults({"compact": True})
        with self.api.watch(NS + "/w6/configmaps", resourceVersion=old) as w:
            self.assertEqual(w.status, 200)
            e = w.next_event()
            self.assertIsNone(w.next_event())
        self.assertEqual(e["type"], "ERROR")
        self.assertEqual((e["object"]["kind"], e["object"]["code"], e["object"]["reason"]),
                         ("Status", 410, "Expired"))
        self.api.faults({"watch_expired_http": True})
        try:
            with self.api.watch(NS + "/w6/configmaps", resourceVersion=old) as w:
                self.assertEqual(w.status, 410)
                self.assertEqual(json.loads(w.response.read())["reason"], "Expired")
        finally:
            self.api.faults({"watch_expired_http": False})
        # Watching from the current version after a compaction works.
        now = str(self.api.resource_version())
        with self.api.watch(NS + "/w6/configmaps", resourceVersion=now) as w:
            self.cm("w6", "fresh")
            self.assertEqual(w.next_event()["type"], "ADDED")

    def test_expire_before_and_bounded_history(self):
        self.namespace("w7")
        a = int(self.cm("w7", "a")["metadata"]["resourceVersion"])
        b = int(self.cm("w7", "b")["metadata"]["resourceVersion"])
        self.api.faults({"expire_before": b})
        with self.api.watch(NS + "/w7/configmaps", resourceVersion=str(a)) as w:
            self.assertEqual(w.next_event()["type"], "ERROR")
        with self.api.watch(NS + "/w7/configmaps", resourceVersion=str(b)) as w:
            self.cm("w7", "c")
            self.assertEqual(w.next_event()["object"]["metadata"]["name"], "c")
        # --history 50: more than 50 changes later, the old version is gone.
        start = str(self.api.resource_version())
        for i in range(55):
            self.cm("w7", "h%d" % i)
        with self.api.watch(NS + "/w7/configmaps", resourceVersion=start) as w:
            self.assertEqual(w.next_event()["object"]["code"], 410)

    def test_fault_ends_open_watches(self):
        self.namespace("w8")
        rv = str(self.api.resource_version())
        with self.api.watch(NS + "/w8/configmaps", resourceVersion=rv) as w:
            self.wait_open_watches(1)
            self.api.faults({"expire_watches": True})
            e = w.next_event()
            self.assertEqual((e["type"], e["object"]["code"]), ("ERROR", 410))
        # A clean drop ends the chunked body; an abrupt one closes the connection mid-body.
        self.assertTrue(self.raw_watch_until_dropped(rv, {"drop_watches": True, "clean": True})
                        .endswith(b"0\r\n\r\n"))
        self.assertFalse(self.raw_watch_until_dropped(rv, {"drop_watches": True})
                         .endswith(b"0\r\n\r\n"))

    def raw_watch_open(self, path, rv):
        """A watch on a raw TLS socket, open once the server counts it (read the bytes yourself)."""
        import socket
        import ssl
        ctx = ssl.create_default_context(cafile=self.api.ca_file)
        sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.api.port), timeout=20),
                               server_hostname="127.0.0.1")
        sock.sendall(("GET %s?watch=true&resourceVersion=%s HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
                      % (path, rv, self.api.token)).encode())
        head = sock.recv(65536)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.wait_open_watches(1)
        return sock

    def raw_watch_until_dropped(self, rv, fault):
        import ssl
        with self.raw_watch_open(NS + "/w8/configmaps", rv) as sock:
            data = b""
            self.api.faults(fault)
            while True:
                try:
                    chunk = sock.recv(65536)
                except (ssl.SSLError, ConnectionError):
                    break
                if not chunk or chunk.endswith(b"0\r\n\r\n"):
                    data += chunk
                    break
                data += chunk
        self.wait_open_watches(0, exact=True)
        return data

    def test_stalled_watches_and_slow_requests(self):
        self.namespace("w9")
        rv = str(self.api.resource_version())
        import socket
        sock = self.raw_watch_open(NS + "/w9/configmaps", rv)
        try:
            self.api.faults({"stall_watches": True})
            try:
                self.cm("w9", "held")
                sock.settimeout(1.0)
                with self.assertRaises(socket.timeout):  # silence, not a close
                    sock.recv(65536)
            finally:
                self.api.faults({"stall_watches": False})
            sock.settimeout(20)
            data = b""
            while b'"held"' not in data:
                chunk = sock.recv(65536)
                self.assertTrue(chunk, "watch closed instead of resuming")
                data += chunk
        finally:
            sock.close()
        self.api.faults({"delay_ms": 300})
        try:
            began = time.monotonic()
            self.ok(self.api.get(NS + "/w9/configmaps"))
            self.assertGreaterEqual(time.monotonic() - began, 0.3)
        finally:
            self.api.faults({"delay_ms": 0})

    def wait_open_watches(self, n, exact=False):
        deadline = time.monotonic() + 20
        while (self.api.stats()["openWatchCount"] != n) if exact else \
                (self.api.stats()["openWatchCount"] < n):
            self.assertLess(time.monotonic(), deadline, "watch did not open")
            time.sleep(0.02)

    def test_table_watch(self):
        rv = str(self.api.resource_version())
        with self.api.watch(BC, resourceVersion=rv, headers={"Accept": TABLE}) as w:
            self.ok(self.api.create(BC, bc("tw")), 201)
            e = w.next_event()
        self.assertEqual(e["object"]["kind"], "Table")
        self.assertEqual(e["object"]["rows"][0]["cells"][0], "tw")


class ConcurrencyTest(ServerTest):
    with_crd = False

    def test_concurrent_writers_and_one_watch(self):
        import threading
        self.namespace("conc")
        start = str(self.api.resource_version())
        errors = []

        def writer(n):
            for i in range(20):
                r = self.api.create(NS + "/conc/configmaps", {
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w%d-%d" % (n, i)}})
                if r.status != 201:
                    errors.append(r)
        with self.api.watch(NS + "/conc/configmaps", resourceVersion=start) as w:
            threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            events = [w.next_event() for _ in range(80)]
        self.assertEqual(errors, [])
        self.assertEqual({e["type"] for e in events}, {"ADDED"})
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(rvs, sorted(set(rvs)))  # strictly increasing: nothing lost or reordered
        self.assertEqual(len({e["object"]["metadata"]["name"] for e in events}), 80)

    def test_optimistic_concurrency_loses_no_update(self):
        import threading
        self.namespace("occ")
        path = NS + "/occ/configmaps"
        self.ok(self.api.create(path, {"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "counter"}, "data": {"n": "0"}}), 201)
        conflicts = []

        def increment(times):
            for _ in range(times):
                while True:
                    cm = self.api.get(path + "/counter").json
                    cm["data"]["n"] = str(int(cm["data"]["n"]) + 1)
                    r = self.api.put(path + "/counter", cm)
                    if r.status == 200:
                        break
                    self.assertEqual(r.status, 409)
                    conflicts.append(1)
        threads = [threading.Thread(target=increment, args=(10,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(self.ok(self.api.get(path + "/counter"))["data"]["n"], "40")


    def test_concurrent_patches_without_resource_version_all_apply(self):
        import threading
        self.namespace("cp")
        path = NS + "/cp/configmaps"
        self.ok(self.api.create(path, {"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "many"}}), 201)
        results = []

        def patcher(n):
            for i in range(10):
                r = self.api.patch(path + "/many", {"data": {"k%d-%d" % (n, i): "v"}})
                results.append(r.status)
        threads = [threading.Thread(target=patcher, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 40)  # the server re-applies a patch that lost a race
        self.assertEqual(len(self.ok(self.api.get(path + "/many"))["data"]), 40)


class FaultAndStatsTest(ServerTest):
    def test_injected_errors_and_counts(self):
        self.api.reset_stats()
        self.api.faults({"errors": {"count": 2, "code": 500, "verbs": ["list"],
                                    "resources": ["services"]}})
        self.ok(self.api.get("/api/v1/namespaces/default/configmaps"))  # not matched
        self.status_error(self.api.get("/api/v1/services"), 500, "InternalError")
        self.status_error(self.api.get("/api/v1/services"), 500, "InternalError")
        self.ok(self.api.get("/api/v1/services"))
        self.api.faults({"errors": {"count": 1, "code": 429, "retry_after": 1}})
        r = self.api.get("/api/v1/services")
        self.status_error(r, 429, "TooManyRequests")
        self.assertEqual(r.headers["Retry-After"], "1")
        self.assertEqual(r.json["details"]["retryAfterSeconds"], 1)
        self.ok(self.api.get("/api/v1/services"))
        self.ok(self.api.get("/api/v1/namespaces/default/configmaps"))
        stats = self.api.stats()["requests"]
        self.assertEqual(stats["list services"], 5)
        self.assertEqual(stats["list configmaps"], 2)
        self.assertEqual(self.api.faults({"reset": True})["errors"], None)
        bad = self.api.request("POST", "/_test/faults", {"nonsense": 1}, token=False)
        self.assertEqual(bad.status, 400)

    def test_counts_by_verb_and_subresource(self):
        self.api.reset_stats()
        self.ok(self.api.create(BC, bc("counted")), 201)
        self.ok(self.api.patch(BC + "/counted/status", {"status": {"members": 1}}))
        self.ok(self.api.get(BC + "/counted"))
        with self.api.watch(BC, resourceVersion="0", timeoutSeconds="1") as w:
            while w.next_event() is not None:
                pass
        stats = self.api.stats()["requests"]
        self.assertEqual(stats, {"create balancerclusters.kubebalancer.io": 1,
                                 "patch balancerclusters.kubebalancer.io/status": 1,
                                 "get balancerclusters.kubebalancer.io": 1,
                                 "watch balancerclusters.kubebalancer.io": 1})


class RestartTest(unittest.TestCase):
    def test_state_survives_a_kill_and_versions_continue(self):
        with ApiServer(state=True) as api:
            r = api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd())
            self.assertEqual(r.status, 201, r)
            obj = api.create(BC, bc("persisted")).json
            api.create(BC, bc("second"))
            rv_before = api.resource_version()
            port, ca = api.port, read_bytes(api.ca_file)
            api.restart()
            self.assertEqual(api.port, port)
            self.assertEqual(read_bytes(api.ca_file), ca)
            got = api.get(BC + "/persisted").json
            self.assertEqual(got["metadata"]["uid"], obj["metadata"]["uid"])
            self.assertEqual(api.resource_version(), rv_before)
            # The restarted server's history starts now: older versions are expired.
            with api.watch(BC, resourceVersion=obj["metadata"]["resourceVersion"]) as w:
                self.assertEqual(w.next_event()["object"]["code"], 410)
            with api.watch(BC, resourceVersion=str(rv_before)) as w:
                created = api.create(BC, bc("after")).json
                self.assertEqual(w.next_event()["object"]["metadata"]["name"], "after")
            self.assertGreater(int(created["metadata"]["resourceVersion"]), rv_before)

    def test_preloaded_crds(self):
        d = tempfile.mkdtemp(prefix="kb-crds-")
        with open(os.path.join(d, "bc.json"), "w") as f:
            json.dump(crd(), f)
        try:
            import yaml  # noqa: F401  (YAML CRD files load only with PyYAML)
            other = crd()
            other["metadata"]["name"] = "widgets.example.io"
            other["spec"]["group"] = "example.io"
            other["spec"]["names"] = {"plural": "widgets", "kind": "Widget"}
            with open(os.path.join(d, "widget.yaml"), "w") as f:
                f.write(yaml.safe_dump(other))
        except ImportError:
            other = None
        with ApiServer(crds=d) as api:
            r = api.create(BC, bc("pre"))
            self.assertEqual(r.status, 201, r)
            if other:
                self.assertEqual(api.get("/apis/example.io/v1alpha1/namespaces/default/widgets")
                                 .status, 200)

    def test_bad_crd_file_is_a_clear_error(self):
        d = tempfile.mkdtemp(prefix="kb-crds-")
        bad = crd()
        bad["metadata"]["name"] = "wrong"
        with open(os.path.join(d, "bad.json"), "w") as f:
            json.dump(bad, f)
        api = ApiServer(crds=d)
        try:
            with self.assertRaises(RuntimeError) as ctx:
                api.start()
            self.assertIn("bad.json", str(ctx.exception))
            self.assertIn("must be spec.names.plural", str(ctx.exception))
            self.assertNotIn("Traceback", str(ctx.exception))
        finally:
            api.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
