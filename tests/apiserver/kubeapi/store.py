"""Object storage with one global, monotonically increasing resourceVersion (like etcd's revision),
a bounded event history for watches, and optional persistence to a JSON state file so a killed
and restarted server keeps its objects and continues the resourceVersion sequence."""
import collections
import copy
import json
import os
import threading

from .errors import expired


class Event:
    __slots__ = ("rv", "key", "type", "obj", "prev")

    def __init__(self, rv, key, type_, obj, prev):
        self.rv = rv
        self.key = key      # (group, plural)
        self.type = type_   # ADDED, MODIFIED, DELETED
        self.obj = obj      # the object after the change (DELETED: its last state)
        self.prev = prev    # the object before the change (MODIFIED), for selector transitions


class Store:
    def __init__(self, history_size=1000, state_file=None):
        self.cond = threading.Condition()
        self.rv = 1
        self.objects = {}   # (group, plural) -> {(namespace, name): object}
        self.history = collections.deque()
        self.history_size = history_size
        self.oldest_rv = 1  # a watch may start at any resourceVersion >= this
        self.state_file = state_file
        # Fault injection: watchers end when these change.
        self.drop_generation = 0
        self.expire_generation = 0
        self.drop_watches_clean = False  # dropped watches end with the last chunk, not a reset
        self.key_generation = collections.Counter()  # bumped when a type stops being served
        if state_file and os.path.exists(state_file):
            self._load()

    # Persistence ---------------------------------------------------------------------------------

    def _load(self):
        with open(self.state_file) as f:
            state = json.load(f)
        self.rv = int(state["resourceVersion"])
        for key_text, items in state["objects"].items():
            group, plural = key_text.split("/", 1)
            bucket = self.objects.setdefault((group, plural), {})
            for obj in items:
                meta = obj["metadata"]
                bucket[(meta.get("namespace", ""), meta["name"])] = obj
        # The restarted server's event history is empty: watches from before now get 410, as
        # from an API server whose watch cache was re-initialised.
        self.oldest_rv = self.rv

    def _save(self):
        if not self.state_file:
            return
        state = {"resourceVersion": self.rv,
                 "objects": {"%s/%s" % k: list(v.values()) for k, v in self.objects.items()}}
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state_file)

    # Reads ---------------------------------------------------------------------------------------

    def get(self, key, namespace, name):
        with self.cond:
            obj = self.objects.get(key, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, key, namespace=None):
        """All objects of a type (in one namespace when given), sorted by namespace and name,
        with the resourceVersion the list is consistent at."""
        with self.cond:
            bucket = self.objects.get(key, {})
            items = [copy.deepcopy(o) for (ns, _), o in sorted(bucket.items())
                     if namespace is None or ns == namespace]
            return items, self.rv

    def scan(self, key, fn):
        """fn(object) for every object of a type, under the lock and without copies: for reads of
        one field across many objects (fn must not keep or change what it is given)."""
        with self.cond:
            return [fn(o) for o in self.objects.get(key, {}).values()]

    def current_rv(self):
        with self.cond:
            return self.rv

    # Writes (callers hold no lock; each write is atomic) -----------------------------------------

    def commit(self, key, type_, obj, prev=None, check=None):
        """Stores `obj` (ADDED/MODIFIED) or removes it (DELETED) under a new resourceVersion.
        `check(current)` runs under the lock first and may raise (conflicts, existence)."""
        with self.cond:
            meta = obj["metadata"]
            ident = (meta.get("namespace", ""), meta["name"])
            bucket = self.objects.setdefault(key, {})
            current = bucket.get(ident)
            if check:
                check(copy.deepcopy(current) if current is not None else None)
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            if type_ == "DELETED":
                bucket.pop(ident, None)
            else:
                bucket[ident] = obj
            self._record(Event(self.rv, key, type_, obj, current))
            self._save()
            self.cond.notify_all()
            return copy.deepcopy(obj)

    def transaction(self, fn):
        """Runs fn(self) under the lock (for multi-object operations such as deleting a CRD with
        its objects); fn uses commit(), which re-enters the lock."""
        with self.cond:
            return fn(self)

    def _record(self, event):
        self.history.append(event)
        while len(self.history) > self.history_size:
            dropped = self.history.popleft()
            self.oldest_rv = dropped.rv

    def compact(self, before_rv=None):
        """Forgets the history before `before_rv` (None: all of it), so watches from older
        resourceVersions get 410 Expired."""
        with self.cond:
            limit = self.rv if before_rv is None else min(int(before_rv), self.rv)
            while self.history and self.history[0].rv <= limit:
                self.history.popleft()
            self.oldest_rv = max(self.oldest_rv, limit)
            self.cond.notify_all()

    def drop_watches(self):
        with self.cond:
            self.drop_generation += 1
            self.cond.notify_all()

    def end_watches(self, key):
        """Ends the watches of one type cleanly (its CRD was deleted)."""
        with self.cond:
            self.key_generation[key] += 1
            self.cond.notify_all()

    def expire_watches(self):
        with self.cond:
            self.expire_generation += 1
            self.cond.notify_all()

    # Watches -------------------------------------------------------------------------------------

    def events_after(self, key, from_rv):
        """Events of `key` newer than `from_rv`. Raises 410 Expired when the history no longer
        reaches back to from_rv. Caller holds self.cond."""
        if from_rv < self.oldest_rv:
            raise expired("too old resource version: %d (%d)" % (from_rv, self.oldest_rv))
        out = []
        for event in reversed(self.history):
            if event.rv <= from_rv:
                break
            if event.key == key:
                out.append(event)
        out.reverse()
        return out
