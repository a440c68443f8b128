"""events.k8s.io/v1 Events are core/v1 Events stored once, as in the real server: an Event written
through either API is visible through both (kubectl describe reads core/v1, kubectl events reads
events.k8s.io/v1). This converts between the two shapes; storage is the core/v1 shape."""

# events.k8s.io/v1 field -> core/v1 field
_FIELDS = {
    "regarding": "involvedObject", "related": "related", "note": "message", "reason": "reason",
    "type": "type", "action": "action", "reportingController": "reportingComponent",
    "reportingInstance": "reportingInstance", "eventTime": "eventTime", "series": "series",
    "deprecatedSource": "source", "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count",
}
_BACK = {v: k for k, v in _FIELDS.items()}


class EventsV1Codec:
    api_version = "events.k8s.io/v1"

    @staticmethod
    def to_storage(obj):
        out = {"apiVersion": "v1", "kind": "Event", "metadata": obj.get("metadata", {})}
        for key, value in obj.items():
            if key in _FIELDS:
                out[_FIELDS[key]] = value
        return out

    @staticmethod
    def from_storage(obj):
        out = {"apiVersion": EventsV1Codec.api_version, "kind": "Event",
               "metadata": obj.get("metadata", {})}
        for key, value in obj.items():
            if key in _BACK:
                out[_BACK[key]] = value
        return out

    @staticmethod
    def field_name(name):
        """A field-selector field of events.k8s.io/v1 as the core/v1 field it is stored as."""
        head, _, rest = name.partition(".")
        if head in _FIELDS:
            return _FIELDS[head] + ("." + rest if rest else "")
        return name
