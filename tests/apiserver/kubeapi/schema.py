"""Structural-schema handling for custom resources, in the API server's order: prune unknown
fields, apply defaults, validate (types, required, enum, bounds, lengths, patterns, items).
x-kubernetes-validations rules are evaluated for the CEL subset in cel.py."""
import copy
import json
import re

from . import cel

_ROOT_KEEP = {"apiVersion", "kind", "metadata"}


def process(obj, schema):
    """Returns (object, causes, unknown_field_paths). `obj` is not modified."""
    obj = copy.deepcopy(obj)
    if not schema:
        return obj, [], []
    unknown = []
    _prune(obj, schema, "", unknown, root=True)
    _default(obj, schema)
    causes = []
    body = {k: v for k, v in obj.items() if k not in _ROOT_KEEP}
    root = dict(schema)
    root["properties"] = {k: v for k, v in (schema.get("properties") or {}).items()
                          if k not in _ROOT_KEEP}
    root["required"] = [r for r in schema.get("required") or [] if r not in _ROOT_KEEP]
    _validate(body, root, "", causes)
    return obj, causes, unknown


def _join(path, key):
    return key if not path else "%s.%s" % (path, key)


def _prune(value, schema, path, unknown, root=False):
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields")
        for key in list(value.keys()):
            if root and key in _ROOT_KEEP:
                continue
            if props and key in props:
                _prune(value[key], props[key], _join(path, key), unknown)
            elif isinstance(additional, dict):
                _prune(value[key], additional, _join(path, key), unknown)
            elif additional is True or preserve:
                continue
            else:
                unknown.append(_join(path, key))
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], "%s[%d]" % (path, i), unknown)


def _default(value, schema):
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and isinstance(sub, dict) and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default(value[key], sub)
        if isinstance(schema.get("additionalProperties"), dict):
            for key in value:
                if key not in (schema.get("properties") or {}):
                    _default(value[key], schema["additionalProperties"])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


def _show(value):
    return json.dumps(value) if not isinstance(value, str) else '"%s"' % value


def _type_ok(value, schema):
    if schema.get("x-kubernetes-int-or-string"):
        return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)
    t = schema.get("type")
    if t is None:
        return True
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    return True


def _validate(value, schema, path, causes):
    if not isinstance(schema, dict):
        return
    field = path or "<root>"
    if value is None:
        if not schema.get("nullable"):
            causes.append((field, "Invalid value: \"null\": %s in body must be of type %s: \"null\""
                           % (field, schema.get("type", "object")), "FieldValueTypeInvalid"))
        return
    if not _type_ok(value, schema):
        causes.append((field, "Invalid value: %s: %s in body must be of type %s: %s"
                       % (_show(value), field, schema.get("type"), _show(value)),
                       "FieldValueTypeInvalid"))
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        compiled = cel.compile_rule(rule.get("rule", "")) if isinstance(rule, dict) else None
        if compiled is not None and not cel.holds(compiled, value):
            shown = '"object"' if isinstance(value, dict) else \
                ('"array"' if isinstance(value, list) else _show(value))
            causes.append((field, "Invalid value: %s: %s"
                           % (shown, rule.get("message") or "failed rule: " + rule["rule"]),
                           "FieldValueInvalid"))
    if "enum" in schema and value not in schema["enum"]:
        causes.append((field, "Unsupported value: %s: supported values: %s"
                       % (_show(value), ", ".join(_show(e) for e in schema["enum"])),
                       "FieldValueNotSupported"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema:
            low = schema["minimum"]
            if value < low or (schema.get("exclusiveMinimum") and value == low):
                causes.append((field, "Invalid value: %s: %s in body should be greater than or "
                               "equal to %s" % (_show(value), field, low), "FieldValueInvalid"))
        if "maximum" in schema:
            high = schema["maximum"]
            if value > high or (schema.get("exclusiveMaximum") and value == high):
                causes.append((field, "Invalid value: %s: %s in body should be less than or "
                               "equal to %s" % (_show(value), field, high), "FieldValueInvalid"))
    if isinstance(value, str) and schema.get("type") == "string":
        if "minLength" in schema and len(value) < schema["minLength"]:
            causes.append((field, "Invalid value: %s: %s in body should be at least %d chars long"
                           % (_show(value), field, schema["minLength"]), "FieldValueInvalid"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append((field, "Too long: may not be more than %d bytes" % schema["maxLength"],
                           "FieldValueTooLong"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            causes.append((field, "Invalid value: %s: %s in body should match '%s'"
                           % (_show(value), field, schema["pattern"]), "FieldValueInvalid"))
    if isinstance(value, dict):
        for req in schema.get("required") or []:
            if req not in value:
                causes.append((_join(path, req), "Required value", "FieldValueRequired"))
        props = schema.get("properties") or {}
        for key, sub in value.items():
            if key in props:
                _validate(sub, props[key], _join(path, key), causes)
            elif isinstance(schema.get("additionalProperties"), dict):
                _validate(sub, schema["additionalProperties"], _join(path, key), causes)
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            causes.append((field, "Too many: %d: must have at most %d items"
                           % (len(value), schema["maxProperties"]), "FieldValueTooMany"))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append((field, "Invalid value: %d: %s in body should have at least %d items"
                           % (len(value), field, schema["minItems"]), "FieldValueInvalid"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append((field, "Too many: %d: must have at most %d items"
                           % (len(value), schema["maxItems"]), "FieldValueTooMany"))
        for i, item in enumerate(value):
            _validate(item, schema.get("items"), "%s[%d]" % (path, i), causes)
        if schema.get("x-kubernetes-list-type") == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen = set()
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    k = tuple(json.dumps(item.get(x)) for x in keys)
                    if k in seen:
                        shown = _show({x: item.get(x) for x in keys})
                        causes.append(("%s[%d]" % (path, i), "Duplicate value: %s" % shown,
                                       "FieldValueDuplicate"))
                    seen.add(k)
        elif schema.get("x-kubernetes-list-type") == "set":
            seen = []
            for i, item in enumerate(value):
                if item in seen:
                    causes.append(("%s[%d]" % (path, i), "Duplicate value: %s" % _show(item),
                                   "FieldValueDuplicate"))
                seen.append(item)
