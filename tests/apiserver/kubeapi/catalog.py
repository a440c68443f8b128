"""The resource types the server serves: the built-ins and whatever the stored CRDs define.
Discovery documents (legacy and aggregated) are built from here."""
import threading

from .events_codec import EventsV1Codec

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUB_VERBS = ["get", "patch", "update"]


class ResourceType:
    """One resource (group + plural). A CRD with several versions is one ResourceType: every
    served version reads and writes the same objects (conversion strategy None)."""

    def __init__(self, group, versions, plural, singular, kind, namespaced, short_names=(),
                 categories=(), subresources=(), list_kind=None, crd_name=None, columns=None,
                 schemas=None, storage_version=None, storage_key=None, codec=None):
        self.group = group
        self.versions = list(versions)
        self.storage_version = storage_version or self.versions[0]
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.list_kind = list_kind or kind + "List"
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.subresources = set(subresources)
        self.crd_name = crd_name          # set for custom resources
        self.columns = columns or {}      # version -> additionalPrinterColumns (CRDs)
        self.schemas = schemas or {}      # version -> openAPIV3Schema (CRDs)
        # Where the objects are stored, and how to convert when that is another type's storage
        # (events.k8s.io/v1 Events live with core/v1 Events).
        self.storage_key = storage_key or (group, plural)
        self.codec = codec

    @property
    def key(self):
        return (self.group, self.plural)

    def api_version(self, version):
        return version if not self.group else "%s/%s" % (self.group, version)

    @property
    def has_status(self):
        return "status" in self.subresources

    def qualified(self):
        return self.plural + ("." + self.group if self.group else "")


def _builtin(group, version, plural, singular, kind, namespaced, short_names=(), categories=(),
             subresources=()):
    return ResourceType(group, [version], plural, singular, kind, namespaced, short_names,
                        categories, subresources)


BUILTINS = [
    _builtin("", "v1", "namespaces", "namespace", "Namespace", False, ["ns"], (), ["status"]),
    _builtin("", "v1", "services", "service", "Service", True, ["svc"], ["all"], ["status"]),
    _builtin("", "v1", "endpoints", "endpoints", "Endpoints", True, ["ep"]),
    _builtin("", "v1", "pods", "pod", "Pod", True, ["po"], ["all"], ["status"]),
    _builtin("", "v1", "events", "event", "Event", True, ["ev"]),
    _builtin("", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"]),
    _builtin("", "v1", "secrets", "secret", "Secret", True),
    _builtin("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ["sa"]),
    _builtin("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", True, ["ing"], (),
             ["status"]),
    _builtin("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", False),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", True),
    _builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
    ResourceType("events.k8s.io", ["v1"], "events", "event", "Event", True, ["ev"],
                 storage_key=("", "events"), codec=EventsV1Codec),
    # Stored without behaviour (no controllers run here), so charts and manifests that ship
    # them (helm install of the kube-balancer chart) apply cleanly.
    _builtin("apps", "v1", "deployments", "deployment", "Deployment", True, ["deploy"], ["all"],
             ["status"]),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", True),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole",
             False),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
             "ClusterRoleBinding", False),
    _builtin("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget",
             True, ["pdb"], (), ["status"]),
    _builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
             "CustomResourceDefinition", False, ["crd", "crds"], ["api-extensions"], ["status"]),
]

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")

# Group order in discovery: the legacy group first, then as a real server lists them.
_GROUP_ORDER = ["", "apps", "events.k8s.io", "policy", "rbac.authorization.k8s.io",
                "apiextensions.k8s.io", "networking.k8s.io", "discovery.k8s.io",
                "coordination.k8s.io"]


def resource_type_from_crd(crd):
    """Builds the ResourceType a CRD object defines; raises ValueError on a malformed CRD."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group")
    plural = names.get("plural")
    kind = names.get("kind")
    if not group or not plural or not kind:
        raise ValueError("spec.group, spec.names.plural and spec.names.kind are required")
    served = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not served:
        raise ValueError("spec.versions must have at least one served version")
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    subresources, columns, schemas = set(), {}, {}
    for v in served:
        if "status" in ((v.get("subresources") or {})):
            subresources.add("status")
        if "scale" in ((v.get("subresources") or {})):
            subresources.add("scale")
        columns[v["name"]] = v.get("additionalPrinterColumns") or []
        schemas[v["name"]] = (v.get("schema") or {}).get("openAPIV3Schema")
    return ResourceType(group, [v["name"] for v in served], plural,
                        names.get("singular") or kind.lower(), kind,
                        spec.get("scope", "Namespaced") == "Namespaced",
                        names.get("shortNames") or [], names.get("categories") or [],
                        subresources, names.get("listKind"), crd.get("metadata", {}).get("name"),
                        columns, schemas, storage[0] if storage else None)


class Catalog:
    def __init__(self):
        self.lock = threading.Lock()
        self.builtins = {t.key: t for t in BUILTINS}
        self.custom = {}  # (group, plural) -> ResourceType

    def register_crd(self, crd):
        rtype = resource_type_from_crd(crd)
        with self.lock:
            self.custom[rtype.key] = rtype
        return rtype

    def unregister_crd(self, crd):
        spec = crd.get("spec") or {}
        key = (spec.get("group"), (spec.get("names") or {}).get("plural"))
        with self.lock:
            return self.custom.pop(key, None)

    def all_types(self):
        with self.lock:
            return list(self.builtins.values()) + list(self.custom.values())

    def lookup(self, group, version, plural):
        """The type served at /apis/group/version/plural, or None."""
        with self.lock:
            t = self.builtins.get((group, plural)) or self.custom.get((group, plural))
        if t is None or version not in t.versions:
            return None
        return t

    def lookup_key(self, key):
        with self.lock:
            return self.builtins.get(key) or self.custom.get(key)

    def by_group(self):
        """{group: {version: [ResourceType]}} in discovery order."""
        groups = {}
        for t in self.all_types():
            for v in t.versions:
                groups.setdefault(t.group, {}).setdefault(v, []).append(t)
        ordered = {}
        for g in _GROUP_ORDER + sorted(g for g in groups if g not in _GROUP_ORDER):
            if g in groups:
                ordered[g] = groups[g]
        return ordered

    def group_versions(self, group):
        return list(self.by_group().get(group, {}).keys())

    # Discovery documents -------------------------------------------------------------------

    def api_versions(self, server_address):
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": server_address}]}

    def api_group_list(self):
        groups = []
        for g, versions in self.by_group().items():
            if not g:
                continue
            gvs = [{"groupVersion": "%s/%s" % (g, v), "version": v}
                   for v in _sort_versions(versions)]
            groups.append({"name": g, "versions": gvs, "preferredVersion": gvs[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_group(self, group):
        versions = self.group_versions(group)
        if not versions:
            return None
        gvs = [{"groupVersion": "%s/%s" % (group, v), "version": v}
               for v in _sort_versions(versions)]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs,
                "preferredVersion": gvs[0]}

    def api_resource_list(self, group, version):
        types = self.by_group().get(group, {}).get(version)
        if types is None:
            return None
        resources = []
        for t in sorted(types, key=lambda t: t.plural):
            r = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                 "kind": t.kind, "verbs": ALL_VERBS}
            if t.short_names:
                r["shortNames"] = t.short_names
            if t.categories:
                r["categories"] = t.categories
            if t.crd_name and t.storage_version == version:
                r["storageVersionHash"] = _hash(t.qualified() + version)
            resources.append(r)
            for sub in sorted(t.subresources):
                resources.append({"name": "%s/%s" % (t.plural, sub), "singularName": "",
                                  "namespaced": t.namespaced,
                                  "kind": t.kind if sub == "status" else "Scale",
                                  "verbs": SUB_VERBS})
        gv = version if not group else "%s/%s" % (group, version)
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}

    def aggregated(self, legacy):
        """apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (legacy) or /apis."""
        items = []
        for g, versions in self.by_group().items():
            if bool(g) == legacy:
                continue
            vlist = []
            for v in _sort_versions(versions):
                resources = []
                for t in sorted(versions[v], key=lambda t: t.plural):
                    r = {"resource": t.plural,
                         "responseKind": {"group": g, "version": v, "kind": t.kind},
                         "scope": "Namespaced" if t.namespaced else "Cluster",
                         "singularResource": t.singular, "verbs": ALL_VERBS}
                    if t.short_names:
                        r["shortNames"] = t.short_names
                    if t.categories:
                        r["categories"] = t.categories
                    if t.subresources:
                        r["subresources"] = [
                            {"subresource": s,
                             "responseKind": ({"group": g, "version": v, "kind": t.kind}
                                              if s == "status" else
                                              {"group": "autoscaling", "version": "v1",
                                               "kind": "Scale"}),
                             "verbs": SUB_VERBS} for s in sorted(t.subresources)]
                    resources.append(r)
                vlist.append({"version": v, "resources": resources, "freshness": "Current"})
            items.append({"metadata": {"name": g, "creationTimestamp": None}, "versions": vlist})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                "metadata": {}, "items": items}


def _sort_versions(versions):
    """Kubernetes version priority: GA > beta > alpha, higher numbers first."""
    import re

    def prio(v):
        m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
        if not m:
            return (0, 0, 0, v)
        stage = {"": 3, "beta": 2, "alpha": 1}[m.group(2) or ""]
        return (-stage, -int(m.group(1)), -int(m.group(3) or 0), v)
    return sorted(versions, key=prio)


def _hash(text):
    import base64
    import hashlib
    return base64.b64encode(hashlib.sha256(text.encode()).digest()[:8]).decode()
