"""Label and field selectors, with the grammar of k8s.io/apimachinery/pkg/labels and fields."""
import re

from .errors import bad_request

_KEY = r"[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def _split_top(text):
    """Splits on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text):
    """Returns a predicate over a labels dict. Supports =, ==, !=, in, notin, key, !key."""
    if not text:
        return lambda labels: True
    reqs = []
    for part in _split_top(text):
        m = re.fullmatch(r"(%s)\s+(in|notin)\s+\(([^)]*)\)" % _KEY, part)
        if m:
            values = {v.strip() for v in m.group(3).split(",") if v.strip()}
            if not all(re.fullmatch(_VALUE, v) for v in values):
                raise bad_request("unable to parse requirement: invalid label value in %r" % part)
            reqs.append((m.group(1), m.group(2), values))
            continue
        m = re.fullmatch(r"(%s)\s*(==|!=|=)\s*(%s)" % (_KEY, _VALUE), part)
        if m:
            op = {"==": "=", "=": "=", "!=": "!="}[m.group(2)]
            reqs.append((m.group(1), op, {m.group(3)}))
            continue
        m = re.fullmatch(r"(!?)\s*(%s)" % _KEY, part)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", None))
            continue
        raise bad_request("unable to parse requirement: invalid label selector %r" % part)

    def matches(labels):
        labels = labels or {}
        for key, op, values in reqs:
            present = key in labels
            if op == "=" and not (present and labels[key] in values):
                return False
            if op == "!=" and present and labels[key] in values:
                return False
            if op == "in" and not (present and labels[key] in values):
                return False
            if op == "notin" and present and labels[key] in values:
                return False
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
        return True
    return matches


# Fields each kind supports in field selectors, besides metadata.name and metadata.namespace.
_EXTRA_FIELDS = {
    "Event": ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
    "Pod": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
            "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"],
    "Namespace": ["status.phase"],
    "Secret": ["type"],
}


def _field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    if cur is None:
        return ""
    return cur if isinstance(cur, str) else str(cur)


def parse_field_selector(text, kind, rename=None):
    """Returns a predicate over an object (in its storage form). Supports =, ==, != on the
    supported fields; `rename` maps a field of the requested API to its stored name."""
    if not text:
        return lambda obj: True
    allowed = {"metadata.name", "metadata.namespace"} | set(_EXTRA_FIELDS.get(kind, []))
    reqs = []
    for part in _split_top(text):
        m = re.fullmatch(r"([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)", part)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, part))
        field = rename(m.group(1)) if rename else m.group(1)
        if field not in allowed:
            raise bad_request('"%s" is not a known field selector: only "%s"'
                              % (m.group(1), ", ".join(sorted(allowed))))
        reqs.append((field, m.group(2) != "!=", m.group(3)))

    def matches(obj):
        for field, equal, value in reqs:
            if (_field_value(obj, field) == value) != equal:
                return False
        return True
    return matches
