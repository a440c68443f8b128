"""Watches: a chunked stream of newline-delimited JSON events, as the real API server sends them.
- resourceVersion unset or "0": ADDED for every current object first ("get state and start").
- resourceVersion N: every change after N; N older than the retained history gets an ERROR event
  with a 410 Expired Status (or an HTTP 410 when the test asks for it).
- selectors apply to old and new state: an object leaving the selection is DELETED, one entering
  is ADDED (like the watch cache).
- allowWatchBookmarks=true: BOOKMARK events every --bookmark-interval seconds; with
  sendInitialEvents=true, a BOOKMARK annotated k8s.io/initial-events-end after the initial state.
- timeoutSeconds ends the stream cleanly; so does a fault `drop_watches` (abruptly, by default).
"""
import json
import select
import socket
import ssl
import time
import traceback

from .errors import ApiError, bad_request, status_object
from .table import make_table


def _with_version(obj, api_version, present):
    out = dict(present(obj))
    out["apiVersion"] = api_version
    return out


def _with_rv(obj, rv):
    out = dict(obj)
    out["metadata"] = dict(obj.get("metadata", {}))
    out["metadata"]["resourceVersion"] = str(rv)
    return out


class _Stream:
    def __init__(self, handler, rtype, version, table_version, include_object):
        self.handler = handler
        self.rtype = rtype
        self.version = version
        self.table_version = table_version
        self.include_object = include_object
        self.sent_columns = False

    def chunk(self, data):
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.handler.wfile.flush()

    def event(self, type_, obj):
        if self.table_version and type_ in ("ADDED", "MODIFIED", "DELETED"):
            table = make_table(self.rtype, self.version, [obj],
                               {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                               self.include_object, table_version=self.table_version)
            if self.sent_columns:
                table["columnDefinitions"] = None
            self.sent_columns = True
            obj = table
        self.chunk(json.dumps({"type": type_, "object": obj}).encode() + b"\n")

    def bookmark(self, rv, initial_end=False):
        meta = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        self.chunk(json.dumps({"type": "BOOKMARK", "object": {
            "kind": self.rtype.kind, "apiVersion": self.rtype.api_version(self.version),
            "metadata": meta}}).encode() + b"\n")

    def error(self, err):
        self.chunk(json.dumps({"type": "ERROR", "object": status_object(
            err.code, err.message, err.reason, err.details)}).encode() + b"\n")

    def end(self):
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def abort(self):
        self.handler.close_connection = True
        try:
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone(self):
        """True when the client closed its end (readable with EOF, or an error)."""
        conn = self.handler.connection
        try:
            readable, _, _ = select.select([conn], [], [], 0)
            if not readable:
                return False
            saved = conn.gettimeout()
            conn.settimeout(0.05)
            try:
                return not conn.recv(1)
            finally:
                conn.settimeout(saved)
        except (ssl.SSLWantReadError, socket.timeout):
            return False
        except (OSError, ValueError):
            return True


def serve_watch(handler, req, rtype, version, namespace, match):
    app = handler.server.app
    store = app.store
    key = rtype.storage_key
    api_version = rtype.api_version(version)
    present = rtype.codec.from_storage if rtype.codec else (lambda o: o)

    def visible(obj):
        if namespace and obj["metadata"].get("namespace", "") != namespace:
            return False
        return match(obj)

    rv_param = req.q("resourceVersion")
    try:
        timeout = float(req.q("timeoutSeconds") or app.max_watch_seconds)
    except ValueError:
        raise bad_request("timeoutSeconds must be a number")
    timeout = min(timeout, app.max_watch_seconds)
    bookmarks = req.flag("allowWatchBookmarks")
    send_initial = req.q("sendInitialEvents")
    if send_initial == "true" and req.q("resourceVersionMatch") != "NotOlderThan":
        raise ApiError(422, "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                       "Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
                       "NotOlderThan", "Invalid")
    initial, err = [], None
    with store.cond:
        drop_gen, expire_gen = store.drop_generation, store.expire_generation
        key_gen = store.key_generation[key]
        if rv_param in ("", "0") or send_initial == "true":
            if send_initial != "false":
                items, _ = store.list(key, namespace or None)
                initial = [o for o in items if visible(o)]
            last = store.rv
        else:
            try:
                last = int(rv_param)
            except ValueError:
                raise bad_request("resourceVersion must be an integer: %r" % rv_param)
            try:
                store.events_after(key, last)
            except ApiError as e:
                err = e
    if err is not None and app.faults.watch_expired_http:
        raise err
    table = handler._table_version()
    stream = _Stream(handler, rtype, version, table, req.q("includeObject", "Metadata"))
    # Counted before the headers go out: a client holding the response knows /_test/stats sees
    # its watch, and faults injected from then on reach it (the generations were read above).
    resource = rtype.qualified()
    app.stats.watch_opened(resource)
    try:
        _stream(handler, stream, app, store, key, table, err, initial, last, send_initial,
                bookmarks, timeout, (drop_gen, expire_gen, key_gen), visible, api_version,
                present)
    except (BrokenPipeError, ConnectionResetError, OSError):
        handler.close_connection = True
    except Exception:  # a bug: the headers are out, so end the connection rather than answer
        traceback.print_exc()
        stream.abort()
    finally:
        app.stats.watch_closed(resource)


def _stream(handler, stream, app, store, key, table, err, initial, last, send_initial, bookmarks,
            timeout, generations, visible, api_version, present):
    drop_gen, expire_gen, key_gen = generations
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json" if not table else
                        "application/json;as=Table;v=%s;g=meta.k8s.io" % table)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()
    if err is not None:
        stream.error(err)
        stream.end()
        return
    for obj in initial:
        stream.event("ADDED", _with_version(obj, api_version, present))
    if send_initial == "true" and bookmarks:
        stream.bookmark(last, initial_end=True)
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + app.bookmark_interval
    while True:
        now = time.monotonic()
        if now >= deadline and not app.faults.stall_watches:
            stream.end()
            return
        wait = min(deadline - now, 0.5)
        if bookmarks:
            wait = max(0.0, min(wait, next_bookmark - now))
        with store.cond:
            if store.rv == last and store.drop_generation == drop_gen and \
                    store.expire_generation == expire_gen and \
                    store.key_generation[key] == key_gen:
                store.cond.wait(wait)
            ended = store.key_generation[key] != key_gen  # the type is no longer served
            if store.drop_generation != drop_gen:
                clean = store.drop_watches_clean
                if clean:
                    stream.end()
                else:
                    stream.abort()
                return
            if store.expire_generation != expire_gen:
                events, err = None, ApiError(
                    410, "too old resource version: %d (%d)" % (last, store.rv), "Expired")
            else:
                try:
                    events = store.events_after(key, last)
                except ApiError as e:
                    events, err = None, e
            newest = store.rv
        if err is not None:
            stream.error(err)
            stream.end()
            return
        if app.faults.stall_watches:
            if stream.client_gone():
                return
            time.sleep(0.1)  # silent: deliver nothing, keep `last`, resume when unstalled
            continue
        for ev in events:
            _send_event(stream, ev, visible, api_version, present)
        last = newest
        if ended:
            stream.end()
            return
        if bookmarks and time.monotonic() >= next_bookmark:
            stream.bookmark(last)
            next_bookmark = time.monotonic() + app.bookmark_interval
        if stream.client_gone():
            return


def _send_event(stream, ev, visible, api_version, present):
    if ev.type == "ADDED":
        if visible(ev.obj):
            stream.event("ADDED", _with_version(ev.obj, api_version, present))
    elif ev.type == "DELETED":
        if visible(ev.obj):
            stream.event("DELETED", _with_version(ev.obj, api_version, present))
    else:
        now_in = visible(ev.obj)
        was_in = ev.prev is not None and visible(ev.prev)
        if now_in and was_in:
            stream.event("MODIFIED", _with_version(ev.obj, api_version, present))
        elif now_in:
            stream.event("ADDED", _with_version(ev.obj, api_version, present))
        elif was_in:
            stream.event("DELETED", _with_version(_with_rv(ev.prev, ev.rv), api_version, present))
