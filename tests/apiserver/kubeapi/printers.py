"""Server-side printer columns of the built-in kinds, as the real API server's Table output has
them (pkg/printers/internalversion), so `kubectl get ingress` shows ADDRESS and friends."""


def _col(name, ctype="string", priority=0, fmt=""):
    return {"name": name, "type": ctype, "format": fmt, "priority": priority, "description": name}


def _join(values, empty="<none>", limit=None):
    values = [v for v in values if v]
    if not values:
        return empty
    if limit and len(values) > limit:
        return ",".join(values[:limit]) + " + %d more..." % (len(values) - limit)
    return ",".join(values)


def _lb_addresses(status):
    ingress = ((status or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i.get("ip") or i.get("hostname") for i in ingress]


def _service(obj):
    spec = obj.get("spec") or {}
    ports = []
    for p in spec.get("ports") or []:
        text = "%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
        if p.get("nodePort"):
            text = "%s:%s/%s" % (p.get("port"), p["nodePort"], p.get("protocol", "TCP"))
        ports.append(text)
    external = spec.get("externalIPs") or []
    if spec.get("type") == "LoadBalancer":
        external = _lb_addresses(obj.get("status")) + external
        external_text = _join(external, "<pending>")
    elif spec.get("type") == "ExternalName":
        external_text = spec.get("externalName", "")
    else:
        external_text = _join(external)
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external_text,
            _join(ports),
            _join(["%s=%s" % kv for kv in sorted((spec.get("selector") or {}).items())])]


def _ingress(obj):
    spec = obj.get("spec") or {}
    hosts = [r.get("host") for r in spec.get("rules") or []]
    ports = "80, 443" if spec.get("tls") else "80"
    return [spec.get("ingressClassName") or "<none>", _join(hosts, "*", 4),
            _join(_lb_addresses(obj.get("status")), ""), ports]


def _endpointslice(obj):
    ports = [str(p.get("port")) for p in obj.get("ports") or [] if p.get("port") is not None]
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [obj.get("addressType", ""), _join(ports, "<unset>"), _join(addresses, "<unset>", 3)]


def _crd_created(obj):
    return [obj.get("metadata", {}).get("creationTimestamp", "")]


def event_columns():
    return [_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")]


def event_cells(obj, now, age_of):
    """core/v1 Events print without Name first: LAST SEEN TYPE REASON OBJECT MESSAGE."""
    last = (obj.get("series") or {}).get("lastObservedTime") or obj.get("lastTimestamp") or \
        obj.get("eventTime") or obj.get("metadata", {}).get("creationTimestamp")
    involved = obj.get("involvedObject") or {}
    return [age_of(last, now), obj.get("type", ""), obj.get("reason", ""),
            "%s/%s" % (involved.get("kind", "").lower(), involved.get("name", "")),
            obj.get("message", "")]


# kind -> (columns after Name (Age is added last unless noted), cell function, age)
PRINTERS = {
    "Service": ([_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"),
                 _col("Selector", priority=1)], _service, True),
    "Ingress": ([_col("Class"), _col("Hosts"), _col("Address"), _col("Ports")], _ingress, True),
    "IngressClass": ([_col("Controller"), _col("Parameters")],
                     lambda o: [(o.get("spec") or {}).get("controller", ""),
                                "<none>" if not (o.get("spec") or {}).get("parameters") else
                                "%s/%s" % ((o["spec"]["parameters"].get("kind")),
                                           o["spec"]["parameters"].get("name"))], True),
    "Namespace": ([_col("Status")], lambda o: [(o.get("status") or {}).get("phase", "")], True),
    "ConfigMap": ([_col("Data", "integer")],
                  lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {})], True),
    "Secret": ([_col("Type"), _col("Data", "integer")],
               lambda o: [o.get("type", "Opaque"), len(o.get("data") or {})], True),
    "EndpointSlice": ([_col("AddressType"), _col("Ports"), _col("Endpoints")], _endpointslice,
                      True),
    "Lease": ([_col("Holder")], lambda o: [(o.get("spec") or {}).get("holderIdentity", "")], True),
    "CustomResourceDefinition": ([_col("Created At", "date")], _crd_created, False),
}
