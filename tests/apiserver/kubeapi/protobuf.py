"""Decoding of Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) for the few
kinds kubectl's typed clients create: `kubectl create namespace|configmap|secret|service` and
Helm's release Secrets (including their DeleteOptions) send protobuf
and cannot fall back to JSON. Envelope: "k8s\\0" + runtime.Unknown{typeMeta, raw}; raw is the
kind's generated message. Other kinds get 415 with a message naming what is supported."""
import base64
import time

from .errors import ApiError

_MAGIC = b"k8s\x00"

# message -> {field number: (json name, type, repeated)}; types: string, bytes, int, bool,
# map (string->string), bytesmap (string->bytes, base64 in JSON), time, or a message name.
_SCHEMAS = {
    "Unknown": {1: ("typeMeta", "TypeMeta", False), 2: ("raw", "bytes", False),
                3: ("contentEncoding", "string", False), 4: ("contentType", "string", False)},
    "TypeMeta": {1: ("apiVersion", "string", False), 2: ("kind", "string", False)},
    "ObjectMeta": {1: ("name", "string", False), 2: ("generateName", "string", False),
                   3: ("namespace", "string", False), 5: ("uid", "string", False),
                   6: ("resourceVersion", "string", False), 7: ("generation", "int", False),
                   8: ("creationTimestamp", "time", False), 11: ("labels", "map", False),
                   12: ("annotations", "map", False),
                   13: ("ownerReferences", "OwnerReference", True),
                   14: ("finalizers", "string", True)},
    "OwnerReference": {1: ("kind", "string", False), 3: ("name", "string", False),
                       4: ("uid", "string", False), 5: ("apiVersion", "string", False),
                       6: ("controller", "bool", False), 7: ("blockOwnerDeletion", "bool", False)},
    "Time": {1: ("seconds", "int", False), 2: ("nanos", "int", False)},
    "Namespace": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "NamespaceSpec", False)},
    "NamespaceSpec": {1: ("finalizers", "string", True)},
    "ConfigMap": {1: ("metadata", "ObjectMeta", False), 2: ("data", "map", False),
                  3: ("binaryData", "bytesmap", False), 4: ("immutable", "bool", False)},
    "Secret": {1: ("metadata", "ObjectMeta", False), 2: ("data", "bytesmap", False),
               3: ("type", "string", False), 4: ("stringData", "map", False),
               5: ("immutable", "bool", False)},
    "Service": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "ServiceSpec", False)},
    "ServiceSpec": {1: ("ports", "ServicePort", True), 2: ("selector", "map", False),
                    3: ("clusterIP", "string", False), 4: ("type", "string", False),
                    5: ("externalIPs", "string", True), 7: ("sessionAffinity", "string", False),
                    8: ("loadBalancerIP", "string", False), 10: ("externalName", "string", False),
                    11: ("externalTrafficPolicy", "string", False),
                    13: ("publishNotReadyAddresses", "bool", False),
                    17: ("ipFamilyPolicy", "string", False), 18: ("clusterIPs", "string", True),
                    19: ("ipFamilies", "string", True),
                    22: ("internalTrafficPolicy", "string", False)},
    "ServicePort": {1: ("name", "string", False), 2: ("protocol", "string", False),
                    3: ("port", "int", False), 4: ("targetPort", "IntOrString", False),
                    5: ("nodePort", "int", False), 6: ("appProtocol", "string", False)},
    "IntOrString": {1: ("type", "int", False), 2: ("intVal", "int", False),
                    3: ("strVal", "string", False)},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int", False),
                      2: ("preconditions", "Preconditions", False),
                      3: ("orphanDependents", "bool", False),
                      4: ("propagationPolicy", "string", False), 5: ("dryRun", "string", True)},
    "Preconditions": {1: ("uid", "string", False), 2: ("resourceVersion", "string", False)},
}
_KINDS = {("meta.k8s.io/v1", "DeleteOptions"), ("v1", "DeleteOptions"), ("v1", "Namespace"),
          ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service")}


def _unsupported(message):
    return ApiError(415, message, "UnsupportedMediaType")


def _varint(data, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(data):
            raise _unsupported("truncated protobuf varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(data):
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(data, pos)
            value, pos = data[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise _unsupported("unsupported protobuf wire type %d" % wire)
        yield number, wire, value


def _decode(data, message):
    schema = _SCHEMAS[message]
    out = {}
    for number, wire, value in _fields(data):
        if number not in schema:
            continue
        name, ftype, repeated = schema[number]
        if ftype in ("map", "bytesmap"):
            entry = dict((n, v) for n, _, v in _fields(value))
            key = entry.get(1, b"").decode()
            raw = entry.get(2, b"")
            out.setdefault(name, {})[key] = raw.decode() if ftype == "map" else \
                base64.b64encode(raw).decode()
            continue
        if ftype == "string":
            decoded = value.decode()
        elif ftype == "bytes":
            decoded = value
        elif ftype == "int":
            decoded = value if value < (1 << 63) else value - (1 << 64)
        elif ftype == "bool":
            decoded = bool(value)
        elif ftype == "time":
            t = _decode(value, "Time")
            decoded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t.get("seconds", 0)))
        elif ftype == "IntOrString":
            ios = _decode(value, ftype)
            decoded = ios.get("strVal", "") if ios.get("type") == 1 else ios.get("intVal", 0)
        else:
            decoded = _decode(value, ftype)
        if repeated:
            out.setdefault(name, []).append(decoded)
        elif ftype in ("string", "int", "bool") and not decoded:
            # Go's protobuf marshals zero values that JSON omits (omitempty); drop them so
            # defaulting sees what a JSON body would give. Map entries are kept as they are.
            continue
        else:
            out[name] = decoded
    return out


def decode_object(body):
    """A protobuf-encoded object as its JSON form; raises 415 for kinds not covered here."""
    if not body.startswith(_MAGIC):
        raise _unsupported("protobuf body without the k8s envelope")
    unknown = _decode(body[len(_MAGIC):], "Unknown")
    type_meta = unknown.get("typeMeta", {})
    key = (type_meta.get("apiVersion", ""), type_meta.get("kind", ""))
    if key not in _KINDS:
        raise _unsupported("this test API server decodes protobuf only for %s; send %s/%s as JSON"
                           % (", ".join(sorted({k for _, k in _KINDS})), key[0], key[1]))
    obj = _decode(unknown.get("raw", b""), key[1])
    obj["apiVersion"], obj["kind"] = key
    return obj

