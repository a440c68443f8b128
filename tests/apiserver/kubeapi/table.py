"""Server-side printing: the meta.k8s.io/v1 Table kubectl asks for with
Accept: application/json;as=Table;v=v1;g=meta.k8s.io. Custom resources get their CRD's
additionalPrinterColumns (evaluated with a JSONPath subset), built-ins the columns of printers.py,
anything else Name and Age."""
import calendar
import re
import time

from .printers import PRINTERS, event_cells, event_columns

_NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace. Is required when creating "
                               "resources, although some resources may allow a client to request "
                               "the generation of an appropriate name automatically. Name is "
                               "primarily intended for creation idempotence and configuration "
                               "definition. Cannot be updated. More info: "
                               "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
                               "names#names"}
_AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "priority": 0,
               "description": "CreationTimestamp is a timestamp representing the server time when "
                              "this object was created."}


def parse_time(text):
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return None


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    seconds = int(seconds)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return "%ds" % seconds
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return "%dm%ds" % (minutes, s) if s else "%dm" % minutes
    if minutes < 60 * 3:
        return "%dm" % minutes
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh%dm" % (hours, m) if m else "%dh" % hours
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd%dh" % (hours // 24, h) if h else "%dd" % (hours // 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        d = (hours // 24) % 365
        return "%dy%dd" % (hours // 24 // 365, d) if d else "%dy" % (hours // 24 // 365)
    return "%dy" % (hours // 24 // 365)


def age(obj, now):
    created = parse_time(obj.get("metadata", {}).get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration(now - created)


# JSONPath subset: .a.b, ['a'], [n], [*], [?(@.x=="v")] and [?(@.x)] --------------------------

_TOKEN = re.compile(r"""\.([A-Za-z0-9_\-$]+)|\[['"]([^'"]+)['"]\]|\[(\*|-?\d+)\]|\[\?\((.*?)\)\]""")


def compile_path(path):
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    if path.startswith("$"):
        path = path[1:]
    steps, pos = [], 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            raise ValueError("unsupported JSONPath %r at %d" % (path, pos))
        if m.group(1) is not None or m.group(2) is not None:
            steps.append(("field", m.group(1) if m.group(1) is not None else m.group(2)))
        elif m.group(3) is not None:
            steps.append(("all", None) if m.group(3) == "*" else ("index", int(m.group(3))))
        else:
            steps.append(("filter", _compile_filter(m.group(4))))
        pos = m.end()
    return steps


def _compile_filter(expr):
    m = re.fullmatch(r"\s*@((?:\.[A-Za-z0-9_\-]+)+)\s*(==|!=)\s*"
                     r"(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s*", expr)
    if m:
        sub = compile_path(m.group(1))
        literal = m.group(3) if m.group(3) is not None else m.group(4)
        if literal is None:
            raw = m.group(5)
            literal = {"true": True, "false": False}.get(raw, raw)
            try:
                literal = int(raw)
            except ValueError:
                pass
        equal = m.group(2) == "=="
        return lambda item: any((v == literal) == equal for v in evaluate(sub, item)) if \
            evaluate(sub, item) else not equal
    m = re.fullmatch(r"\s*@((?:\.[A-Za-z0-9_\-]+)+)\s*", expr)
    if m:
        sub = compile_path(m.group(1))
        return lambda item: bool(evaluate(sub, item))
    raise ValueError("unsupported JSONPath filter %r" % expr)


def evaluate(steps, obj):
    current = [obj]
    for kind, arg in steps:
        nxt = []
        for value in current:
            if kind == "field" and isinstance(value, dict) and arg in value:
                nxt.append(value[arg])
            elif kind == "index" and isinstance(value, list) and -len(value) <= arg < len(value):
                nxt.append(value[arg])
            elif kind == "all":
                if isinstance(value, list):
                    nxt.extend(value)
                elif isinstance(value, dict):
                    nxt.extend(value.values())
            elif kind == "filter" and isinstance(value, list):
                nxt.extend(item for item in value if arg(item))
        current = nxt
    return current


# Tables -------------------------------------------------------------------------------------

def _age_of(timestamp, now):
    t = parse_time(timestamp) if isinstance(timestamp, str) else None
    if t is None and isinstance(timestamp, str):
        t = parse_time(timestamp.split(".")[0] + "Z")  # MicroTime: 2026-01-01T00:00:00.000000Z
    return "<unknown>" if t is None else human_duration(now - t)


def _is_core_event(rtype):
    return rtype.kind == "Event" and not rtype.group


def column_definitions(rtype, version):
    if _is_core_event(rtype):
        return event_columns()
    if rtype.crd_name and rtype.columns.get(version):
        cols = [dict(_NAME_COLUMN)]
        for c in rtype.columns[version]:
            cols.append({"name": c.get("name", ""), "type": c.get("type", "string"),
                         "format": c.get("format", ""), "description": c.get("description", ""),
                         "priority": c.get("priority", 0)})
        return cols
    printer = None if rtype.crd_name else PRINTERS.get(rtype.kind)
    if printer:
        columns, _, with_age = printer
        cols = [dict(_NAME_COLUMN)] + [dict(c) for c in columns]
        if with_age:
            # The real printers put Age before priority (wide-only) columns.
            first_wide = next((i for i, c in enumerate(cols) if c["priority"]), len(cols))
            cols.insert(first_wide, dict(_AGE_COLUMN))
        return cols
    return [dict(_NAME_COLUMN), dict(_AGE_COLUMN)]


def _builtin_cells(rtype, obj, now):
    columns, cells_of, with_age = PRINTERS[rtype.kind]
    cells = [obj["metadata"]["name"]] + cells_of(obj)
    if rtype.kind == "CustomResourceDefinition":
        return cells
    if with_age:
        first_wide = next((i for i, c in enumerate(columns) if c["priority"]), len(columns)) + 1
        cells.insert(first_wide, age(obj, now))
    return cells


def _cell(column, obj, now):
    try:
        results = evaluate(compile_path(column.get("jsonPath", "")), obj)
    except ValueError:
        return None
    if not results:
        return None
    value = results[0]
    ctype = column.get("type", "string")
    if ctype == "date":
        if not isinstance(value, str):
            return None
        t = parse_time(value)
        return human_duration(now - t) if t is not None else "<invalid>"
    if ctype == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if ctype == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if ctype == "boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _row_object(obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    meta = dict(obj.get("metadata", {}))
    meta.pop("managedFields", None)
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}


def make_table(rtype, version, objects, list_meta, include_object="Metadata", now=None,
               table_version="v1"):
    now = time.time() if now is None else now
    columns = column_definitions(rtype, version)
    custom = bool(rtype.crd_name and rtype.columns.get(version))
    rows = []
    for obj in objects:
        if custom:
            cells = [obj["metadata"]["name"]] + [_cell(c, obj, now) for c in rtype.columns[version]]
        elif _is_core_event(rtype):
            cells = event_cells(obj, now, _age_of)
        elif not rtype.crd_name and rtype.kind in PRINTERS:
            cells = _builtin_cells(rtype, obj, now)
        else:
            cells = [obj["metadata"]["name"], age(obj, now)]
        row = {"cells": cells}
        ro = _row_object(obj, include_object)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/" + table_version, "metadata": list_meta,
            "columnDefinitions": columns, "rows": rows}
