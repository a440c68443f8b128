"""OpenAPI v3 documents, as much as kubectl reads: the /openapi/v3 index of group-versions, and
per group-version the resource paths whose PATCH operations carry x-kubernetes-group-version-kind
and the dryRun/fieldManager/fieldValidation/force query parameters. kubectl checks for the
fieldValidation parameter there to leave validation to the server (kubectl apply and create with
the default --validate=strict). Custom resources also get their CRD schema as a component, for
kubectl explain. /openapi/v2 is protobuf-only in kubectl, so it is not served (404), as kubectl
then relies on v3."""
import hashlib
import json

_PARAMS = [
    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}},
]


def _gv_path(group, version):
    return "api/%s" % version if not group else "apis/%s/%s" % (group, version)


def _schema_name(rtype, version):
    parts = list(reversed(rtype.group.split("."))) if rtype.group else ["io", "k8s", "api", "core"]
    return ".".join(parts + [version, rtype.kind])


def _operation(rtype, version, action, patch_types=None):
    op = {"operationId": "%s%s" % (action, rtype.kind),
          "x-kubernetes-action": action,
          "x-kubernetes-group-version-kind": {"group": rtype.group, "version": version,
                                              "kind": rtype.kind},
          "responses": {"200": {"description": "OK", "content": {"application/json": {
              "schema": {"$ref": "#/components/schemas/" + _schema_name(rtype, version)}}}}}}
    if action in ("patch", "put", "post"):
        op["parameters"] = list(_PARAMS)
    if patch_types:
        op["requestBody"] = {"content": {t: {"schema": {"type": "object"}} for t in patch_types},
                             "required": True}
    return op


def gv_document(catalog, group, version):
    types = catalog.by_group().get(group, {}).get(version)
    if types is None:
        return None
    prefix = "/" + _gv_path(group, version)
    paths, schemas = {}, {}
    for t in types:
        patch_types = ["application/json-patch+json", "application/merge-patch+json",
                       "application/apply-patch+yaml"]
        # The real server lists strategic-merge-patch for built-in kinds too, but kubectl then
        # computes the patch from the OpenAPI schemas, which this server does not carry for
        # built-ins; without it kubectl uses its compiled-in types, with the same result.
        scope = prefix + ("/namespaces/{namespace}" if t.namespaced else "")
        paths[scope + "/" + t.plural] = {
            "get": _operation(t, version, "list"), "post": _operation(t, version, "post")}
        paths[scope + "/%s/{name}" % t.plural] = {
            "get": _operation(t, version, "get"), "put": _operation(t, version, "put"),
            "patch": _operation(t, version, "patch", patch_types),
            "delete": _operation(t, version, "delete")}
        for sub in sorted(t.subresources - {"scale"}):
            paths[scope + "/%s/{name}/%s" % (t.plural, sub)] = {
                "get": _operation(t, version, "get"), "put": _operation(t, version, "put"),
                "patch": _operation(t, version, "patch", patch_types)}
        if t.namespaced:
            paths[prefix + "/" + t.plural] = {"get": _operation(t, version, "list")}
        schema = dict((t.schemas.get(version) if t.crd_name else None) or {"type": "object"})
        schema["x-kubernetes-group-version-kind"] = [{"group": t.group, "version": version,
                                                      "kind": t.kind}]
        schemas[_schema_name(t, version)] = schema
    return {"openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths,
            "components": {"schemas": schemas}}


def index(catalog):
    paths = {}
    for group, versions in catalog.by_group().items():
        for version in versions:
            doc = gv_document(catalog, group, version)
            text = json.dumps(doc, sort_keys=True).encode()
            digest = hashlib.sha512(text).hexdigest()[:64].upper()
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (path, digest)}
    return {"paths": paths}


def serve(catalog, path, query):
    """The document for an /openapi/... path, or None (404)."""
    if path == "/openapi/v3":
        return index(catalog)
    if path.startswith("/openapi/v3/"):
        parts = path[len("/openapi/v3/"):].split("/")
        if len(parts) == 2 and parts[0] == "api":
            return gv_document(catalog, "", parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return gv_document(catalog, parts[1], parts[2])
    return None
