"""Test control: request counters (GET /_test/stats) and fault injection (POST /_test/faults)."""
import collections
import threading


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.open_watches = collections.Counter()

    def count(self, key):
        with self.lock:
            self.counts[key] += 1

    def watch_opened(self, resource):
        with self.lock:
            self.open_watches[resource] += 1

    def watch_closed(self, resource):
        with self.lock:
            self.open_watches[resource] -= 1
            if self.open_watches[resource] <= 0:
                del self.open_watches[resource]

    def snapshot(self):
        with self.lock:
            return {"requests": dict(sorted(self.counts.items())),
                    "total": sum(self.counts.values()),
                    "openWatches": dict(sorted(self.open_watches.items())),
                    "openWatchCount": sum(self.open_watches.values())}

    def reset(self):
        with self.lock:
            self.counts.clear()


class Faults:
    """Injected failures. `errors` fails the next `count` matching resource requests with `code`
    (optionally only for some verbs/resources, with Retry-After); `watch_expired_http` answers
    watches from a too-old resourceVersion with HTTP 410 instead of a 200 + ERROR event;
    `delay_ms` slows every resource request; `stall_watches` makes open watches go silent
    (a server that hangs without closing); drop/expire/compact act on the store at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.errors = None
        self.watch_expired_http = False
        self.delay_ms = 0            # added to every resource request (not to watch streams)
        self.stall_watches = False   # open watches go silent (no events, no bookmarks, no close)

    def configure(self, spec, store):
        """Applies a POST /_test/faults body; returns a description of what is now active."""
        if not isinstance(spec, dict):
            raise ValueError("faults body must be a JSON object")
        known = {"errors", "drop_watches", "clean", "expire_before", "compact", "expire_watches",
                 "watch_expired_http", "delay_ms", "stall_watches", "reset"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError("unknown fault keys: %s (known: %s)"
                             % (", ".join(sorted(unknown)), ", ".join(sorted(known))))
        with self.lock:
            if spec.get("reset"):
                self.errors = None
                self.watch_expired_http = False
                self.delay_ms = 0
                self.stall_watches = False
            if "delay_ms" in spec:
                if not isinstance(spec["delay_ms"], int) or spec["delay_ms"] < 0:
                    raise ValueError("delay_ms must be a non-negative integer")
                self.delay_ms = spec["delay_ms"]
            if "stall_watches" in spec:
                self.stall_watches = bool(spec["stall_watches"])
            if "errors" in spec:
                e = spec["errors"]
                if e is None:
                    self.errors = None
                else:
                    if not isinstance(e, dict) or not isinstance(e.get("count"), int) or \
                            not isinstance(e.get("code"), int):
                        raise ValueError("errors needs integer 'count' and 'code'")
                    self.errors = {"count": e["count"], "code": e["code"],
                                   "retry_after": e.get("retry_after"),
                                   "verbs": set(e.get("verbs") or []),
                                   "resources": set(e.get("resources") or []),
                                   "message": e.get("message")}
            if "watch_expired_http" in spec:
                self.watch_expired_http = bool(spec["watch_expired_http"])
        if "expire_before" in spec:
            store.compact(int(spec["expire_before"]))
        if spec.get("compact"):
            store.compact()
        if spec.get("expire_watches"):
            store.expire_watches()
        if spec.get("drop_watches"):
            store.drop_watches_clean = bool(spec.get("clean"))
            store.drop_watches()
        return self.describe()

    def describe(self):
        with self.lock:
            errors = None
            if self.errors:
                errors = dict(self.errors)
                errors["verbs"] = sorted(errors["verbs"])
                errors["resources"] = sorted(errors["resources"])
            return {"errors": errors, "watch_expired_http": self.watch_expired_http,
                    "delay_ms": self.delay_ms, "stall_watches": self.stall_watches}

    def take_error(self, verb, resource):
        """The injected (code, retry_after, message) for this request, or None."""
        with self.lock:
            e = self.errors
            if not e or e["count"] <= 0:
                return None
            if e["verbs"] and verb not in e["verbs"]:
                return None
            if e["resources"] and resource not in e["resources"] and \
                    resource.split("/")[0] not in e["resources"]:
                return None
            e["count"] -= 1
            if e["count"] == 0:
                self.errors = None
            return e["code"], e["retry_after"], e["message"]
