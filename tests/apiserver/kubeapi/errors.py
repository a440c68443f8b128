"""metav1.Status errors, as the real API server returns them."""

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """Raised anywhere in request handling; the handler turns it into a Status response."""

    def __init__(self, code, message, reason=None, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self):
        return status_object(self.code, self.message, self.reason, self.details)


def status_object(code, message, reason, details=None):
    obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        obj["details"] = details
    return obj


def success_status(details=None):
    obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        obj["details"] = details
    return obj


def _qualified(rtype):
    return rtype.plural + ("." + rtype.group if rtype.group else "")


def not_found(rtype, name):
    return ApiError(404, '%s "%s" not found' % (_qualified(rtype), name), "NotFound",
                    {"name": name, "group": rtype.group, "kind": rtype.plural})


def already_exists(rtype, name):
    return ApiError(409, '%s "%s" already exists' % (_qualified(rtype), name), "AlreadyExists",
                    {"name": name, "group": rtype.group, "kind": rtype.plural})


def conflict(rtype, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                    % (_qualified(rtype), name), "Conflict",
                    {"name": name, "group": rtype.group, "kind": rtype.plural})


def invalid(rtype, name, causes):
    """causes: list of (field, message, type) where type is e.g. FieldValueRequired."""
    text = "; ".join("%s: %s" % (f, m) for f, m, _ in causes)
    kind = rtype.kind + ("." + rtype.group if rtype.group else "")
    return ApiError(422, '%s "%s" is invalid: %s' % (kind, name, text), "Invalid",
                    {"name": name, "group": rtype.group, "kind": rtype.kind,
                     "causes": [{"reason": t, "message": m, "field": f} for f, m, t in causes]})


def bad_request(message):
    return ApiError(400, message, "BadRequest")


def expired(message):
    return ApiError(410, message, "Expired")
