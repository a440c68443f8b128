"""The verbs on stored objects with the API server's semantics: create (generateName, uid,
timestamps, generation), update with optimistic concurrency, status subresources, generation
bumps on spec changes only, no-op writes that keep the resourceVersion, finalizers, patches,
deletes with preconditions, namespaces and CRDs that own other objects."""
import copy
import random
import time
import uuid

from . import defaults, schema
from .catalog import CRD_KEY
from .errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from .patch import APPLY_PATCH, apply_patch

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apiserver's generateName alphabet
_PATCH_RETRIES = 10


def _patch_sets_rv(patch):
    """Whether a patch carries a resourceVersion precondition."""
    if isinstance(patch, list):
        return any(isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion"
                   for op in patch)
    meta = patch.get("metadata") if isinstance(patch, dict) else None
    return isinstance(meta, dict) and bool(meta.get("resourceVersion"))


_META_FIELDS = {"name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                "annotations", "ownerReferences", "finalizers"}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Registry:
    def __init__(self, store, catalog, clock=time.time):
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.ips = defaults.ClusterIPs()
        for crd in self.store.list(CRD_KEY)[0]:
            try:
                catalog.register_crd(crd)
            except ValueError:
                pass

    # Helpers ------------------------------------------------------------------------------------

    def storage_form(self, rtype, obj):
        return rtype.codec.to_storage(obj) if rtype.codec else obj

    def _outgoing(self, rtype, version, obj):
        if rtype.codec:
            obj = rtype.codec.from_storage(obj)
        obj["apiVersion"] = rtype.api_version(version)
        obj["kind"] = rtype.kind
        return obj

    def _check_body(self, rtype, version, namespace, body):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        kind = body.get("kind")
        api_version = body.get("apiVersion")
        if kind and kind != rtype.kind:
            raise bad_request("the server could not find the requested resource: kind %s does not "
                              "match the resource %s (%s)" % (kind, rtype.qualified(), rtype.kind))
        if api_version and api_version not in [rtype.api_version(v) for v in rtype.versions]:
            raise bad_request("the API version in the data (%s) does not match the expected API "
                              "version (%s)" % (api_version, rtype.api_version(version)))
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        body["apiVersion"] = rtype.api_version(rtype.storage_version)
        body["kind"] = rtype.kind
        return rtype.codec.to_storage(body) if rtype.codec else body

    def _schema_for(self, rtype, version):
        return rtype.schemas.get(version) if rtype.crd_name else None

    def _admit(self, rtype, version, obj, field_validation, warnings):
        """Defaulting, pruning and validation of a whole object about to be stored."""
        meta = obj["metadata"]
        for key in list(meta):
            # ObjectMeta round-trips through its Go type: unknown and empty fields disappear.
            # managedFields are not tracked by this server.
            if key not in _META_FIELDS or meta[key] in ({}, [], None, ""):
                del meta[key]
        name = meta.get("name", "")
        causes = defaults.validate_name(rtype.kind, name) if name else []
        if rtype.crd_name:
            obj, schema_causes, unknown = schema.process(obj, self._schema_for(rtype, version))
            if unknown:
                if field_validation == "Strict":
                    raise bad_request("%s in version \"%s\" cannot be handled as a %s: strict "
                                      "decoding error: %s" % (rtype.kind, version, rtype.kind,
                                                              ", ".join('unknown field "%s"' % u
                                                                        for u in unknown)))
                if field_validation != "Ignore":
                    warnings.extend('unknown field "%s"' % u for u in unknown)
            causes += schema_causes
        else:
            defaults.default_object(rtype.kind, obj, self.ips, self._used_ips()
                                    if rtype.kind == "Service" else ())
            causes += defaults.validate_object(rtype.kind, obj)
        for field in ("labels", "annotations"):
            value = obj["metadata"].get(field)
            if value is not None and (not isinstance(value, dict) or
                                      not all(isinstance(v, str) for v in value.values())):
                causes.append(("metadata." + field, "Invalid value: must be a map of strings",
                               "FieldValueInvalid"))
        if causes:
            raise invalid(rtype, name, causes)
        return obj

    def _used_ips(self):
        # A scan, not a list: a list deep-copies every Service, which made creating n Services O(n^2).
        return self.store.scan(("", "services"), lambda s: s.get("spec", {}).get("clusterIP"))

    def _require_namespace(self, rtype, namespace):
        if rtype.namespaced and self.store.get(("", "namespaces"), "", namespace) is None:
            raise ApiError(404, 'namespaces "%s" not found' % namespace, "NotFound",
                           {"name": namespace, "kind": "namespaces"})

    @staticmethod
    def _spec_changed(rtype, old, new):
        ignore = {"metadata", "apiVersion", "kind"}
        if rtype.crd_name:
            if rtype.has_status:
                ignore.add("status")
        else:
            ignore.add("status")
        strip = lambda o: {k: v for k, v in o.items() if k not in ignore}
        return strip(old) != strip(new)

    # Verbs --------------------------------------------------------------------------------------

    def get(self, rtype, version, namespace, name):
        obj = self.store.get(rtype.storage_key, namespace, name)
        if obj is None:
            raise not_found(rtype, name)
        return self._outgoing(rtype, version, obj)

    def list(self, rtype, version, namespace):
        items, rv = self.store.list(rtype.storage_key, namespace)
        return [self._outgoing(rtype, version, o) for o in items], rv

    def create(self, rtype, version, namespace, body, dry_run=False, field_validation="",
               warnings=None):
        warnings = warnings if warnings is not None else []
        body = copy.deepcopy(body)
        body = self._check_body(rtype, version, namespace, body)
        meta = body["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(
                    random.choice(_NAME_CHARS) for _ in range(5))
            else:
                raise invalid(rtype, "", [("metadata.name", "Required value: name or "
                                           "generateName is required", "FieldValueRequired")])
        self._require_namespace(rtype, namespace)
        for field in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "managedFields", "selfLink"):
            meta.pop(field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = rfc3339(self.clock())
        meta["generation"] = 1
        if rtype.has_status and (rtype.crd_name or rtype.kind != "Namespace"):
            body.pop("status", None)
        body = self._admit(rtype, version, body, field_validation, warnings)
        if rtype.key == CRD_KEY:
            body["status"] = defaults.crd_status(body)
        if dry_run:
            return self._outgoing(rtype, version, body)

        def check(current):
            if current is not None:
                raise already_exists(rtype, meta["name"])
        stored = self.store.commit(rtype.storage_key, "ADDED", body, check=check)
        if rtype.key == CRD_KEY:
            self.catalog.register_crd(stored)
        return self._outgoing(rtype, version, stored)

    def update(self, rtype, version, namespace, name, body, subresource="", dry_run=False,
               field_validation="", warnings=None, require_rv=None):
        # An unconditional update (no resourceVersion) retries a lost race, as the real server.
        unconditional = isinstance(body, dict) and \
            not (body.get("metadata") or {}).get("resourceVersion")
        for attempt in range(_PATCH_RETRIES):
            try:
                return self._update_once(rtype, version, namespace, name, body, subresource,
                                         dry_run, field_validation, warnings, require_rv)
            except ApiError as e:
                if e.reason != "Conflict" or not unconditional or attempt == _PATCH_RETRIES - 1:
                    raise

    def _update_once(self, rtype, version, namespace, name, body, subresource, dry_run,
                     field_validation, warnings, require_rv):
        warnings = warnings if warnings is not None else []
        body = copy.deepcopy(body)
        body = self._check_body(rtype, version, namespace, body)
        meta = body["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (meta["name"], name))
        meta["name"] = name
        current = self.store.get(rtype.storage_key, namespace, name)
        if current is None:
            raise not_found(rtype, name)
        wanted_rv = meta.get("resourceVersion", "")
        if require_rv is None:
            require_rv = bool(rtype.crd_name) and not subresource
        if not wanted_rv and require_rv:
            raise invalid(rtype, name, [("metadata.resourceVersion", "Invalid value: 0x0: must be "
                                         "specified for an update", "FieldValueInvalid")])
        if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
            raise conflict(rtype, name)
        if subresource == "status":
            new = copy.deepcopy(current)
            if "status" in body:
                new["status"] = body["status"]
            else:
                new.pop("status", None)
        else:
            new = body
            for field in ("uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation"):
                if field in current["metadata"]:
                    meta[field] = current["metadata"][field]
                else:
                    meta.pop(field, None)
            if rtype.has_status:
                if "status" in current:
                    new["status"] = current["status"]
                else:
                    new.pop("status", None)
        new = self._admit(rtype, version, new, field_validation, warnings)
        if rtype.key == CRD_KEY:
            new["status"] = defaults.crd_status(new)
        if subresource != "status" and self._spec_changed(rtype, current, new):
            new["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return self._outgoing(rtype, version, current)  # a no-op write is not a change
        if dry_run:
            return self._outgoing(rtype, version, new)
        deleting = ("deletionTimestamp" in new["metadata"] and
                    not new["metadata"].get("finalizers"))

        def check(latest):
            if latest is None:
                raise not_found(rtype, name)
            if latest["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
                raise conflict(rtype, name)
        if deleting:
            stored = self._delete_now(rtype, new, check)
        else:
            stored = self.store.commit(rtype.storage_key, "MODIFIED", new, check=check)
            if rtype.key == CRD_KEY:
                self.catalog.register_crd(stored)
        return self._outgoing(rtype, version, stored)

    def patch(self, rtype, version, namespace, name, content_type, patch, subresource="",
              dry_run=False, field_validation="", warnings=None, force=False):
        # A patch without a resourceVersion of its own is applied to the latest object: when a
        # concurrent write wins, it is re-applied (the real server's GuaranteedUpdate loop).
        for attempt in range(_PATCH_RETRIES):
            try:
                return self._patch_once(rtype, version, namespace, name, content_type, patch,
                                        subresource, dry_run, field_validation, warnings)
            except ApiError as e:
                if e.reason != "Conflict" or _patch_sets_rv(patch) or \
                        attempt == _PATCH_RETRIES - 1:
                    raise

    def _patch_once(self, rtype, version, namespace, name, content_type, patch, subresource,
                    dry_run, field_validation, warnings):
        current = self.store.get(rtype.storage_key, namespace, name)
        base_type = content_type.split(";")[0].strip().lower()
        if current is None:
            if base_type != APPLY_PATCH or subresource:
                raise not_found(rtype, name)
            body = apply_patch(content_type, None, patch, rtype.kind, bool(rtype.crd_name))
            body.setdefault("metadata", {})["name"] = name
            return self.create(rtype, version, namespace, body, dry_run, field_validation,
                               warnings), True
        current = self._outgoing(rtype, version, current)
        patched = apply_patch(content_type, current, patch, rtype.kind, bool(rtype.crd_name))
        if not isinstance(patched, dict):
            raise bad_request("the patch produced a non-object")
        patched.setdefault("metadata", {})
        for field in ("name", "namespace"):
            if patched["metadata"].get(field, "") != current["metadata"].get(field, ""):
                raise bad_request("metadata.%s cannot be changed by a patch" % field)
        if not patched["metadata"].get("resourceVersion"):
            patched["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.update(rtype, version, namespace, name, patched, subresource, dry_run,
                           field_validation, warnings, require_rv=False), False

    def delete(self, rtype, version, namespace, name, options=None, dry_run=False):
        options = options or {}
        current = self.store.get(rtype.storage_key, namespace, name)
        if current is None:
            raise not_found(rtype, name)
        if rtype.key == ("", "namespaces") and name in ("default", "kube-system", "kube-public"):
            raise ApiError(403, 'namespaces "%s" is forbidden: this namespace may not be deleted'
                           % name, "Forbidden", {"name": name, "kind": "namespaces"})
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != current["metadata"].get("uid"):
            raise ApiError(409, "Precondition failed: UID in precondition: %s, UID in object meta: "
                           "%s" % (pre["uid"], current["metadata"].get("uid")), "Conflict")
        if pre.get("resourceVersion") and \
                pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise ApiError(409, "Precondition failed: ResourceVersion in precondition: %s, "
                           "ResourceVersion in object meta: %s"
                           % (pre["resourceVersion"], current["metadata"]["resourceVersion"]),
                           "Conflict")
        if dry_run:
            return self._outgoing(rtype, version, current), True

        def check(latest):
            if latest is None:
                raise not_found(rtype, name)
        if current["metadata"].get("finalizers"):
            if "deletionTimestamp" in current["metadata"]:
                return self._outgoing(rtype, version, current), False
            current["metadata"]["deletionTimestamp"] = rfc3339(self.clock())
            current["metadata"]["deletionGracePeriodSeconds"] = 0
            stored = self.store.commit(rtype.storage_key, "MODIFIED", current, check=check)
            return self._outgoing(rtype, version, stored), False
        stored = self._delete_now(rtype, current, check)
        return self._outgoing(rtype, version, stored), True

    def _delete_now(self, rtype, obj, check):
        """Removes an object, and what it owns: a namespace's objects, a CRD's resources."""
        if rtype.key == ("", "namespaces"):
            ns = obj["metadata"]["name"]
            keys = {t.storage_key for t in self.catalog.all_types() if t.namespaced}
            for key in sorted(keys):
                for item in self.store.list(key, ns)[0]:
                    self.store.commit(key, "DELETED", item)
        if rtype.key == CRD_KEY:
            served = self.catalog.unregister_crd(obj)
            if served is not None:
                for item in self.store.list(served.storage_key)[0]:
                    self.store.commit(served.storage_key, "DELETED", item)
                self.store.end_watches(served.storage_key)
        return self.store.commit(rtype.storage_key, "DELETED", obj, check=check)

