"""HTTP request handling: authentication, routing of discovery, OpenAPI, resource and test-control
paths, and the JSON responses (objects, lists, Tables, Status errors)."""
import base64
import collections
import json
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler

from . import negotiate, openapi, protobuf
from .errors import ApiError, bad_request, expired, success_status
from .selectors import parse_field_selector, parse_label_selector
from .table import make_table
from .watch import serve_watch

_DISCOVERY_MEDIA = "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body

    def q(self, name, default=""):
        return self.query.get(name, default)

    def flag(self, name):
        return self.query.get(name, "").lower() in ("true", "1")


class Snapshots:
    """Continue tokens: each paginated list keeps its full result until the client has paged
    through it, so every page is consistent with the first one (as etcd's MVCC gives). Old
    snapshots are evicted; their tokens then get 410 Expired, as after an etcd compaction."""

    def __init__(self, capacity=64):
        self.lock = threading.Lock()
        self.items = collections.OrderedDict()
        self.capacity = capacity

    def put(self, items, rv):
        token_id = uuid.uuid4().hex
        with self.lock:
            self.items[token_id] = (items, rv)
            while len(self.items) > self.capacity:
                self.items.popitem(last=False)
        return token_id

    def get(self, token_id):
        with self.lock:
            return self.items.get(token_id)


def encode_continue(token_id, offset, rv):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "id": token_id, "start": offset})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        return data["id"], int(data["start"]), int(data["rv"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid: %r" % token)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-balancer-test-apiserver"
    sys_version = ""
    timeout = 600  # idle keep-alive connections end eventually

    # The server object carries `app` (see kube_apiserver.App).

    def setup(self):
        super().setup()
        try:
            self.request.do_handshake()
        except (OSError, ValueError) as e:
            self.close_connection = True
            self.handshake_error = e
        else:
            self.handshake_error = None

    def handle(self):
        if self.handshake_error is None:
            super().handle()

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("apiserver: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # Plumbing -----------------------------------------------------------------------------------

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_bytes(self, code, body, content_type="application/json", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            for value in (v if isinstance(v, list) else [v]):
                self.send_header(k, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, code, obj, content_type="application/json", headers=None):
        self.send_bytes(code, json.dumps(obj).encode() + b"\n", content_type, headers)

    def send_error_status(self, err):
        headers = dict(err.headers)
        self.send_json(err.code, err.status(), headers=headers)

    def dispatch(self, method):
        app = self.server.app
        parsed = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query,
                                                             keep_blank_values=True).items()}
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        req = Request(method, parsed.path, query, self.headers, body)
        try:
            if req.path.startswith("/_test/"):
                return self.control(req)
            if req.path in ("/healthz", "/livez", "/readyz"):
                return self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
            auth = self.headers.get("Authorization") or ""
            if auth != "Bearer " + app.token:
                app.stats.count("unauthorized")
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self.route(req)
        except ApiError as e:
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug here must not kill the connection thread silently
            import traceback
            traceback.print_exc()
            self.send_error_status(ApiError(500, "internal error: %s" % e, "InternalError"))

    # Test control --------------------------------------------------------------------------------

    def control(self, req):
        app = self.server.app
        if req.path == "/_test/stats" and req.method == "GET":
            return self.send_json(200, app.stats.snapshot())
        if req.path == "/_test/stats" and req.method == "DELETE":
            app.stats.reset()
            return self.send_json(200, app.stats.snapshot())
        if req.path == "/_test/faults" and req.method == "GET":
            return self.send_json(200, app.faults.describe())
        if req.path == "/_test/faults" and req.method == "POST":
            try:
                spec = json.loads(req.body or b"{}")
                return self.send_json(200, app.faults.configure(spec, app.store))
            except (ValueError, TypeError) as e:
                raise bad_request("bad faults request: %s" % e)
        if req.path == "/_test/state" and req.method == "GET":
            return self.send_json(200, {"resourceVersion": str(app.store.current_rv()),
                                        "oldestResourceVersion": str(app.store.oldest_rv)})
        raise ApiError(404, "unknown test control endpoint %s %s" % (req.method, req.path),
                       "NotFound")

    # Routing -------------------------------------------------------------------------------------

    def route(self, req):
        app = self.server.app
        path = req.path.rstrip("/") or "/"
        accept = self.headers.get("Accept") or ""
        if req.method == "GET":
            if path == "/version":
                app.stats.count("get /version")
                return self.send_json(200, app.version_info())
            if path == "/api" or path == "/apis":
                app.stats.count("get " + path)
                version = None if app.no_aggregated else \
                    negotiate.wants(accept, "APIGroupDiscoveryList", "apidiscovery.k8s.io")
                if version in ("v2", "v2beta1"):
                    doc = app.catalog.aggregated(legacy=(path == "/api"))
                    doc["apiVersion"] = "apidiscovery.k8s.io/" + version
                    return self.send_json(200, doc, _DISCOVERY_MEDIA % version)
                if path == "/api":
                    return self.send_json(200, app.catalog.api_versions(
                        "127.0.0.1:%d" % app.port))
                return self.send_json(200, app.catalog.api_group_list())
            if path.startswith("/openapi/"):
                app.stats.count("get /openapi")
                doc = openapi.serve(app.catalog, path, req.query)
                if doc is None:
                    raise ApiError(404, "the server could not find the requested resource",
                                   "NotFound")
                return self.send_json(200, doc)
        segments = [s for s in path.split("/") if s]
        if segments and segments[0] == "api" and len(segments) >= 2:
            group, version, rest = "", segments[1], segments[2:]
        elif segments and segments[0] == "apis" and len(segments) >= 2:
            group = segments[1]
            if len(segments) == 2:
                doc = app.catalog.api_group(group) if req.method == "GET" else None
                if doc is None:
                    raise _page_not_found()
                app.stats.count("get /apis/" + group)
                return self.send_json(200, doc)
            version, rest = segments[2], segments[3:]
        else:
            raise _page_not_found()
        if not rest:
            doc = app.catalog.api_resource_list(group, version) if req.method == "GET" else None
            if doc is None:
                raise _page_not_found()
            app.stats.count("get " + path)
            return self.send_json(200, doc)
        self.resource_request(req, group, version, rest)

    def resource_request(self, req, group, version, rest):
        app = self.server.app
        catalog = app.catalog
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            candidate = catalog.lookup(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise _page_not_found()
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        rtype = catalog.lookup(group, version, plural)
        if rtype is None or (sub and sub not in rtype.subresources) or sub == "scale":
            raise _page_not_found()
        if rtype.namespaced and namespace is None and (name or req.method == "POST"):
            raise _page_not_found()
        if not rtype.namespaced:
            namespace = ""
        verb = {"GET": "get" if name else ("watch" if req.flag("watch") else "list"),
                "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[req.method]
        if (verb == "create" and name) or (sub and not name):
            raise ApiError(405, "the server does not allow this method on the requested resource",
                           "MethodNotAllowed")
        resource = rtype.qualified() + ("/" + sub if sub else "")
        app.stats.count("%s %s" % (verb, resource))
        injected = app.faults.take_error(verb, resource)
        if injected is not None:
            code, retry_after, message = injected
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            details = {"retryAfterSeconds": retry_after} if retry_after is not None else None
            raise ApiError(code, message or "injected failure (%d)" % code, None, details, headers)
        if app.faults.delay_ms and verb != "watch":
            time.sleep(app.faults.delay_ms / 1000.0)
        handler = getattr(self, "verb_" + verb)
        handler(req, rtype, version, namespace, name, sub)

    # Verbs ---------------------------------------------------------------------------------------

    def _table_version(self):
        return negotiate.wants(self.headers.get("Accept") or "", "Table", "meta.k8s.io")

    def _partial_version(self, list_kind):
        return negotiate.wants(self.headers.get("Accept") or "", list_kind, "meta.k8s.io")

    def respond_object(self, req, code, rtype, version, obj, warnings=()):
        headers = {"Warning": ['299 - "%s"' % w.replace('"', '\\"') for w in warnings]} \
            if warnings else None
        table = self._table_version()
        if table:
            doc = make_table(rtype, version, [obj],
                             {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                             req.q("includeObject", "Metadata"), table_version=table)
            return self.send_json(code, doc, "application/json;as=Table;v=%s;g=meta.k8s.io" % table,
                                  headers)
        if self._partial_version("PartialObjectMetadata"):
            obj = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": obj["metadata"]}
        self.send_json(code, obj, headers=headers)

    def verb_get(self, req, rtype, version, namespace, name, sub):
        obj = self.server.app.registry.get(rtype, version, namespace, name)
        self.respond_object(req, 200, rtype, version, obj)

    def _selectors(self, req, rtype):
        labels = parse_label_selector(req.q("labelSelector"))
        fields = parse_field_selector(req.q("fieldSelector"), rtype.kind,
                                      rtype.codec.field_name if rtype.codec else None)
        return lambda o: labels(o.get("metadata", {}).get("labels")) and fields(o)

    def verb_list(self, req, rtype, version, namespace, name, sub):
        app = self.server.app
        match = self._selectors(req, rtype)
        limit = req.q("limit")
        try:
            limit = int(limit) if limit else 0
        except ValueError:
            raise bad_request("limit must be an integer: %r" % limit)
        token = req.q("continue")
        rv_param = req.q("resourceVersion")
        if token:
            token_id, offset, rv = decode_continue(token)
            snap = app.snapshots.get(token_id)
            if snap is None:
                raise expired("The provided continue parameter is too old to display a "
                              "consistent list result. You can start a new list without the "
                              "continue parameter.")
            items, rv = snap
        else:
            if rv_param and rv_param != "0":
                try:
                    wanted = int(rv_param)
                except ValueError:
                    raise bad_request("resourceVersion must be an integer: %r" % rv_param)
                app.wait_for_rv(wanted)
                if req.q("resourceVersionMatch") == "Exact" and \
                        wanted != app.store.current_rv() and wanted < app.store.oldest_rv:
                    raise expired("too old resource version: %d (%d)"
                                  % (wanted, app.store.oldest_rv))
            items, rv = app.registry.list(rtype, version, namespace)
            items = [o for o in items if match(app.registry.storage_form(rtype, o))]
            offset, token_id = 0, None
        if rv_param == "0" and not token:
            limit = 0  # served from the watch cache: the real server ignores limit here
        page = items[offset:offset + limit] if limit > 0 else items[offset:]
        meta = {"resourceVersion": str(rv)}
        end = offset + len(page)
        if end < len(items):
            if token_id is None:
                token_id = app.snapshots.put(items, rv)
            meta["continue"] = encode_continue(token_id, end, rv)
            meta["remainingItemCount"] = len(items) - end
        table = self._table_version()
        if table:
            doc = make_table(rtype, version, page, meta, req.q("includeObject", "Metadata"),
                             table_version=table)
            return self.send_json(200, doc, "application/json;as=Table;v=%s;g=meta.k8s.io" % table)
        if self._partial_version("PartialObjectMetadataList"):
            return self.send_json(200, {
                "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                           "metadata": o["metadata"]} for o in page]})
        if not rtype.crd_name:
            # Typed lists from the real server carry no kind/apiVersion on their items.
            page = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
        self.send_json(200, {"kind": rtype.list_kind, "apiVersion": rtype.api_version(version),
                             "metadata": meta, "items": page})

    def verb_watch(self, req, rtype, version, namespace, name, sub):
        serve_watch(self, req, rtype, version, namespace, self._selectors(req, rtype))

    def _body(self, req):
        content_type = self.headers.get("Content-Type") or ""
        if content_type.startswith("application/vnd.kubernetes.protobuf"):
            return protobuf.decode_object(req.body)
        try:
            return json.loads(req.body.decode("utf-8")) if req.body else None
        except (ValueError, UnicodeDecodeError) as e:
            if content_type.startswith("application/apply-patch+yaml"):
                return _yaml_body(req.body)
            raise bad_request("the body of the request is not valid JSON: %s" % e)

    def _write_options(self, req):
        dry_run = req.q("dryRun") == "All"
        return dry_run, req.q("fieldValidation", "Warn") or "Warn"

    def verb_create(self, req, rtype, version, namespace, name, sub):
        body = self._body(req)
        dry_run, validation = self._write_options(req)
        warnings = []
        obj = self.server.app.registry.create(rtype, version, namespace, body, dry_run, validation,
                                              warnings)
        self.respond_object(req, 201, rtype, version, obj, warnings)

    def verb_update(self, req, rtype, version, namespace, name, sub):
        body = self._body(req)
        dry_run, validation = self._write_options(req)
        warnings = []
        obj = self.server.app.registry.update(rtype, version, namespace, name, body, sub, dry_run,
                                              validation, warnings)
        self.respond_object(req, 200, rtype, version, obj, warnings)

    def verb_patch(self, req, rtype, version, namespace, name, sub):
        content_type = self.headers.get("Content-Type") or ""
        body = self._body(req)
        if body is None:
            raise bad_request("the body of the request is empty")
        dry_run, validation = self._write_options(req)
        if content_type.startswith("application/apply-patch") and not req.q("fieldManager"):
            raise ApiError(422, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
                           "value: is required for apply patch", "Invalid")
        warnings = []
        obj, created = self.server.app.registry.patch(rtype, version, namespace, name,
                                                      content_type, body, sub, dry_run, validation,
                                                      warnings, req.flag("force"))
        self.respond_object(req, 201 if created else 200, rtype, version, obj, warnings)

    def verb_delete(self, req, rtype, version, namespace, name, sub):
        options = self._body(req) or {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        dry_run = req.q("dryRun") == "All" or options.get("dryRun") == ["All"]
        obj, gone = self.server.app.registry.delete(rtype, version, namespace, name, options,
                                                    dry_run)
        if gone and not rtype.crd_name and rtype.kind not in ("Pod", "Service"):
            details = {"name": name, "kind": rtype.plural, "uid": obj["metadata"].get("uid")}
            if rtype.group:
                details["group"] = rtype.group
            return self.send_json(200, success_status(details))
        self.respond_object(req, 200, rtype, version, obj)

    def verb_deletecollection(self, req, rtype, version, namespace, name, sub):
        app = self.server.app
        match = self._selectors(req, rtype)
        items, _ = app.registry.list(rtype, version, namespace)
        options = self._body(req) or {}
        dry_run = req.q("dryRun") == "All"
        deleted = []
        for o in items:
            if match(app.registry.storage_form(rtype, o)):
                try:
                    obj, _ = app.registry.delete(rtype, version, o["metadata"].get("namespace", ""),
                                                 o["metadata"]["name"], options, dry_run)
                    deleted.append(obj)
                except ApiError as e:
                    if e.code != 404:
                        raise
        if not rtype.crd_name:
            deleted = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
                       for o in deleted]
        self.send_json(200, {"kind": rtype.list_kind, "apiVersion": rtype.api_version(version),
                             "metadata": {"resourceVersion": str(app.store.current_rv())},
                             "items": deleted})


def _page_not_found():
    return ApiError(404, "the server could not find the requested resource", "NotFound",
                    {"causes": [{"reason": "UnexpectedServerResponse",
                                 "message": "404 page not found"}]})


def _yaml_body(data):
    """Server-side apply bodies may be YAML; kubectl sends JSON, other clients may not."""
    try:
        import yaml  # optional: only for YAML apply bodies
    except ImportError:
        raise ApiError(415, "YAML apply bodies need PyYAML on the test server; send JSON",
                       "UnsupportedMediaType")
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as e:
        raise bad_request("error decoding YAML: %s" % e)


