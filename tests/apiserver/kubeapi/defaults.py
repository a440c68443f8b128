"""Defaulting and validation of the built-in kinds, as much as the real API server does for the
fields kube-balancer and kubectl touch. Errors are (field, message, reason) causes."""
import re
import threading

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def validate_name(kind, name):
    """The name rule of each kind; returns a cause list."""
    if kind in ("Namespace",):
        ok, rule, limit = _DNS1123_LABEL.match(name), "a lowercase RFC 1123 label", 63
    elif kind == "Service":
        ok, rule, limit = _DNS1035_LABEL.match(name), "a DNS-1035 label", 63
    else:
        ok, rule, limit = _DNS1123_SUBDOMAIN.match(name), "a lowercase RFC 1123 subdomain", 253
    if ok and len(name) <= limit:
        return []
    return [("metadata.name", 'Invalid value: "%s": must be %s of at most %d characters'
             % (name, rule, limit), "FieldValueInvalid")]


class ClusterIPs:
    """Allocates Service cluster IPs from 10.96.0.0/12, as the default service CIDR."""

    def __init__(self):
        self.next = 10
        self.lock = threading.Lock()

    def allocate(self, used):
        with self.lock:
            while True:
                n = self.next
                self.next += 1
                ip = "10.96.%d.%d" % (n // 250, n % 250 + 1)
                if ip not in used:
                    return ip


def default_object(kind, obj, allocator=None, used_ips=()):
    spec = obj.get("spec")
    if kind == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            if not spec.get("clusterIP") and allocator is not None:
                spec["clusterIP"] = allocator.allocate(set(used_ips))
            if spec.get("clusterIP"):
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                if "port" in port:
                    port.setdefault("targetPort", port["port"])
        obj.setdefault("status", {"loadBalancer": {}})
    elif kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif kind == "Ingress":
        obj.setdefault("spec", {})
        obj.setdefault("status", {"loadBalancer": {}})
    elif kind == "EndpointSlice":
        for port in obj.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
    elif kind == "Pod":
        obj.setdefault("status", {"phase": "Pending"})
    elif kind == "CustomResourceDefinition" and isinstance(spec, dict):
        for v in spec.get("versions") or []:
            if isinstance(v, dict):
                v.setdefault("served", True)
                v.setdefault("storage", len(spec.get("versions")) == 1)
        conv = spec.setdefault("conversion", {"strategy": "None"})
        conv.setdefault("strategy", "None")


def validate_object(kind, obj):
    causes = []
    spec = obj.get("spec") or {}
    if kind == "Service":
        svc_type = spec.get("type", "ClusterIP")
        if svc_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            causes.append(("spec.type", 'Unsupported value: "%s"' % svc_type,
                           "FieldValueNotSupported"))
        ports = spec.get("ports") or []
        if not ports and svc_type != "ExternalName" and spec.get("clusterIP") != "None":
            causes.append(("spec.ports", "Required value", "FieldValueRequired"))
        for i, p in enumerate(ports):
            port = p.get("port") if isinstance(p, dict) else None
            if not isinstance(port, int) or not 1 <= port <= 65535:
                causes.append(("spec.ports[%d].port" % i,
                               "Invalid value: %r: must be between 1 and 65535, inclusive"
                               % (port,),
                               "FieldValueInvalid"))
            if len(ports) > 1 and not (isinstance(p, dict) and p.get("name")):
                causes.append(("spec.ports[%d].name" % i, "Required value", "FieldValueRequired"))
    elif kind == "Ingress":
        for i, rule in enumerate(spec.get("rules") or []):
            for j, path in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
                field = "spec.rules[%d].http.paths[%d]" % (i, j)
                pt = (path or {}).get("pathType")
                if pt is None:
                    causes.append((field + ".pathType",
                                   "Required value: pathType must be specified",
                                   "FieldValueRequired"))
                elif pt not in ("Exact", "Prefix", "ImplementationSpecific"):
                    causes.append((field + ".pathType",
                                   'Unsupported value: "%s": supported values: "Exact", '
                                   '"ImplementationSpecific", "Prefix"' % pt,
                                   "FieldValueNotSupported"))
                if "backend" not in (path or {}):
                    causes.append((field + ".backend", "Required value", "FieldValueRequired"))
    elif kind == "EndpointSlice":
        at = obj.get("addressType")
        if at not in ("IPv4", "IPv6", "FQDN"):
            causes.append(("addressType", 'Unsupported value: "%s": supported values: "FQDN", '
                           '"IPv4", "IPv6"' % (at,), "FieldValueNotSupported"))
        for i, ep in enumerate(obj.get("endpoints") or []):
            if not (ep or {}).get("addresses"):
                causes.append(("endpoints[%d].addresses" % i, "Required value",
                               "FieldValueRequired"))
    elif kind == "IngressClass":
        if not spec.get("controller"):
            causes.append(("spec.controller", "Required value", "FieldValueRequired"))
    elif kind == "CustomResourceDefinition":
        causes += _validate_crd(obj)
    return causes


def _validate_crd(crd):
    causes = []
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    for field in ("plural", "kind"):
        if not names.get(field):
            causes.append(("spec.names." + field, "Required value", "FieldValueRequired"))
    if not spec.get("group"):
        causes.append(("spec.group", "Required value", "FieldValueRequired"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", 'Unsupported value: "%s": supported values: "Cluster", '
                       '"Namespaced"' % (spec.get("scope"),), "FieldValueNotSupported"))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as "
                       "storage version", "FieldValueInvalid"))
    elif sum(1 for v in versions if (v or {}).get("storage")) != 1:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as "
                       "storage version", "FieldValueInvalid"))
    expected = "%s.%s" % (names.get("plural"), spec.get("group"))
    name = crd.get("metadata", {}).get("name")
    if names.get("plural") and spec.get("group") and name != expected:
        causes.append(("metadata.name", 'Invalid value: "%s": must be spec.names.plural+"."+'
                       'spec.group' % name, "FieldValueInvalid"))
    return causes


def crd_status(crd):
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    now = crd["metadata"].get("creationTimestamp")
    return {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
    }
