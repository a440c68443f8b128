"""The four patch types of the API server: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
strategic merge patch (the subset of patchStrategy/patchMergeKey the served built-in types use, and
the $patch / $retainKeys / $setElementOrder / $deleteFromPrimitiveList directives kubectl sends)
and server-side apply (treated as a merge of the applied configuration)."""
import copy

from .errors import ApiError, bad_request

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null removes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# JSON patch -------------------------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request("invalid JSON pointer %r" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise ApiError(422, "the server rejected our request due to an error in our request: "
                           "path %s: missing path component %r" % (path, p), "Invalid")
    return cur


def _index(container, token, path, allow_end):
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise ApiError(422, "invalid array index %r in %s" % (token, path), "Invalid")
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise ApiError(422, "array index %d out of bounds in %s" % (i, path), "Invalid")
    return i


def _get(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise ApiError(422, "path %s does not exist" % path, "Invalid")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, path, False)]
    raise ApiError(422, "path %s does not exist" % path, "Invalid")


def _remove(doc, path):
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise ApiError(422, "the server rejected our request due to an error in our request: "
                           "remove operation does not apply: doc is missing path: \"%s\"" % path,
                           "Invalid")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, path, False))
    raise ApiError(422, "path %s does not exist" % path, "Invalid")


def _add(doc, path, value):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, True), value)
    else:
        raise ApiError(422, "path %s does not exist" % path, "Invalid")
    return doc


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("json patch operation needs 'op' and 'path': %r" % (op,))
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            parts = _pointer(path)
            if not parts:
                doc = copy.deepcopy(op.get("value"))
            else:
                parent = _parent(doc, parts, path)
                if isinstance(parent, list):
                    parent[_index(parent, parts[-1], path, False)] = copy.deepcopy(op.get("value"))
                else:
                    parent[parts[-1]] = copy.deepcopy(op.get("value"))
        elif kind == "move":
            value = _remove(doc, op["from"])
            doc = _add(doc, path, value)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise ApiError(422, "the server rejected our request due to an error in our "
                               "request: testing value %s failed" % path, "Invalid")
        else:
            raise bad_request("unknown json patch operation %r" % kind)
    return doc


# Strategic merge patch --------------------------------------------------------------------------

_NAME_KEYED = {"containers", "initContainers", "ephemeralContainers", "volumes", "env",
               "imagePullSecrets", "envFrom_", "readinessGates_"}
_PRIMITIVE_MERGE = {"finalizers"}


def _merge_key(path, kind):
    """patchMergeKey for the list at `path` (field names from the root), None = atomic list."""
    field = path[-1]
    if field == "ports":
        if kind == "Service" and path[-2:] == ["spec", "ports"]:
            return "port"
        if "containers" in path or "initContainers" in path:
            return "containerPort"
        return None
    if field in _NAME_KEYED:
        return "name"
    if field == "volumeMounts":
        return "mountPath"
    if field == "ownerReferences":
        return "uid"
    if field == "conditions":
        return "type"
    if field == "hostAliases":
        return "ip"
    return None


def strategic_merge_patch(target, patch, kind):
    return _smp_map(copy.deepcopy(target) if isinstance(target, dict) else {}, patch, [], kind)


def _smp_map(original, patch, path, kind):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    retain = patch.get("$retainKeys")
    result = original if isinstance(original, dict) else {}
    orders = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue
        sub = path + [key]
        if isinstance(value, dict):
            merged = _smp_map(result.get(key), value, sub, kind)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(result.get(key), value, sub, kind)
        else:
            result[key] = copy.deepcopy(value)
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _apply_order(result[field], order, _merge_key(path + [field], kind))
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(original, patch, path, kind):
    original = original if isinstance(original, list) else []
    if any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [copy.deepcopy(e) for e in patch if not (isinstance(e, dict) and "$patch" in e)]
    key = _merge_key(path, kind)
    if path[-1] in _PRIMITIVE_MERGE:
        result = list(original)
        for v in patch:
            if v not in result:
                result.append(v)
        return result
    if key is None:
        return [copy.deepcopy(e) for e in patch]
    result = list(original)
    for element in patch:
        if not isinstance(element, dict) or key not in element:
            raise bad_request("the list at %s merges on key %r, which element %r lacks"
                              % (".".join(path), key, element))
        index = next((i for i, e in enumerate(result)
                      if isinstance(e, dict) and e.get(key) == element[key]), None)
        if element.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append({k: copy.deepcopy(v) for k, v in element.items() if k != "$patch"})
        else:
            result[index] = _smp_map(result[index], element, path, kind)
    return result


def _apply_order(items, order, key):
    if key is None:
        ranked = {repr(v): i for i, v in enumerate(order)}
        return sorted(items, key=lambda v: ranked.get(repr(v), len(ranked)))
    ranked = {repr(o.get(key)): i for i, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda e: ranked.get(repr(e.get(key)) if isinstance(e, dict) else "",
                                                  len(ranked)))


def apply_patch(content_type, target, patch, kind, custom):
    """Applies a PATCH body of `content_type` to `target` (None when the object does not exist,
    which only server-side apply accepts)."""
    base = content_type.split(";")[0].strip().lower()
    if base == MERGE_PATCH:
        return merge_patch(target, patch)
    if base == JSON_PATCH:
        return json_patch(target, patch)
    if base == STRATEGIC_PATCH:
        if custom:
            raise ApiError(415, "the body of the request was in an unknown format - accepted "
                           "media types include: application/json-patch+json, "
                           "application/merge-patch+json, application/apply-patch+yaml",
                           "UnsupportedMediaType")
        return strategic_merge_patch(target, patch, kind)
    if base == APPLY_PATCH:
        # Server-side apply without field management: the applied configuration wins for every
        # field it sets; fields it omits keep their current values.
        return merge_patch(target or {}, patch)
    raise ApiError(415, "the body of the request was in an unknown format - accepted media types "
                   "include: application/json-patch+json, application/merge-patch+json, "
                   "application/apply-patch+yaml", "UnsupportedMediaType")
