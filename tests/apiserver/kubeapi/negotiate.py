"""Accept-header negotiation for the media types kubectl and client-go send."""


def parse_accept(header):
    """[(media_type, {param: value})] in the order given."""
    out = []
    for part in (header or "").split(","):
        part = part.strip()
        if not part:
            continue
        fields = [f.strip() for f in part.split(";")]
        params = {}
        for f in fields[1:]:
            if "=" in f:
                k, v = f.split("=", 1)
                params[k.strip().lower()] = v.strip()
        out.append((fields[0].lower(), params))
    return out


def wants(header, as_kind, group):
    """The version of `as_kind` (e.g. Table in meta.k8s.io) the client accepts first, or None.
    Plain JSON listed before it means the client prefers plain JSON."""
    for media, params in parse_accept(header):
        if params.get("as") == as_kind and params.get("g") == group and \
                media in ("application/json", "*/*"):
            return params.get("v")
        if not params.get("as") and media in ("application/json", "*/*", "application/*"):
            return None
    return None


def accepts_json(header):
    entries = parse_accept(header)
    if not entries:
        return True
    return any(m in ("application/json", "*/*", "application/*", "application/yaml") or
               m.startswith("application/json") for m, _ in entries)
