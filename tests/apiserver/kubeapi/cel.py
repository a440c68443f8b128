"""A small subset of CEL for CRD x-kubernetes-validations rules: has(self.a.b), self.a.b,
.size(), literals (strings, integers, true, false, null), ! && || == != < <= > >= and
parentheses. compile_rule returns None for anything outside the subset; such rules are not
enforced (the test server then accepts what a real server might reject)."""
import re

_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<num>-?\d+)"""
                    r"""|(?P<op>&&|\|\||==|!=|<=|>=|[<>!().])|(?P<id>[A-Za-z_][A-Za-z0-9_]*))""")


class _Missing(Exception):
    pass


def _tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("unsupported CEL at %d" % pos)
        pos = m.end()
        for kind in ("str", "num", "op", "id"):
            if m.group(kind) is not None:
                out.append((kind, m.group(kind)))
                break
    return out


class _Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError("expected %r" % value)
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.i != len(self.t):
            raise ValueError("trailing tokens")
        return node

    def or_(self):
        node = self.and_()
        while self.peek()[1] == "||":
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.unary()
        while self.peek()[1] == "&&":
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return ("not", self.unary())
        return self.cmp()

    def cmp(self):
        node = self.primary()
        if self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            node = ("cmp", op, node, self.primary())
        return node

    def path(self):
        self.take("self")
        parts = []
        while self.peek()[1] == "." and self.i + 1 < len(self.t) and self.t[self.i + 1][0] == "id":
            if self.i + 2 < len(self.t) and self.t[self.i + 2][1] == "(":
                break  # a method call such as .size()
            self.take(".")
            parts.append(self.take()[1])
        return parts

    def primary(self):
        kind, value = self.peek()
        if value == "(":
            self.take()
            node = self.or_()
            self.take(")")
            return node
        if kind == "id" and value == "has":
            self.take()
            self.take("(")
            parts = self.path()
            self.take(")")
            if not parts:
                raise ValueError("has() needs a field")
            return ("has", parts)
        if kind == "id" and value == "self":
            node = ("path", self.path())
            if self.peek()[1] == ".":
                self.take(".")
                self.take("size")
                self.take("(")
                self.take(")")
                node = ("size", node)
            return node
        if kind == "str":
            self.take()
            return ("lit", value[1:-1])
        if kind == "num":
            self.take()
            return ("lit", int(value))
        if kind == "id" and value in ("true", "false", "null"):
            self.take()
            return ("lit", {"true": True, "false": False, "null": None}[value])
        raise ValueError("unsupported CEL term %r" % (value,))


def _eval(node, self_value):
    op = node[0]
    if op == "lit":
        return node[1]
    if op == "path":
        cur = self_value
        for p in node[1]:
            if not isinstance(cur, dict) or p not in cur:
                raise _Missing(p)
            cur = cur[p]
        return cur
    if op == "has":
        cur = self_value
        for p in node[1][:-1]:
            if not isinstance(cur, dict) or p not in cur:
                raise _Missing(p)
            cur = cur[p]
        return isinstance(cur, dict) and node[1][-1] in cur
    if op == "size":
        return len(_eval(node[1], self_value))
    if op == "not":
        return not _eval(node[1], self_value)
    if op == "and":
        return bool(_eval(node[1], self_value)) and bool(_eval(node[2], self_value))
    if op == "or":
        return bool(_eval(node[1], self_value)) or bool(_eval(node[2], self_value))
    if op == "cmp":
        a, b = _eval(node[2], self_value), _eval(node[3], self_value)
        return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b,
                "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[node[1]]()
    raise ValueError(op)


def compile_rule(text):
    try:
        return _Parser(_tokens(text)).parse()
    except (ValueError, IndexError):
        return None


def holds(compiled, self_value):
    """True when the rule holds; rules that cannot be evaluated here count as holding."""
    try:
        return bool(_eval(compiled, self_value))
    except (_Missing, TypeError, ValueError):
        return True
