#pragma once
// Decoding of API server answers into plain values (RawMeta + JSON text). Implemented with
// cpprestsdk's JSON type, which never leaves controller/kube. Bad input throws ApiError(0, ...).
#include <string>

#include "controller/kube/kube_api.h"

namespace kb::controller::kube {

RawObject decode_raw_object(const std::string& json);
ListPage decode_raw_list(const std::string& json);
WatchEvent decode_watch_event(const std::string& line);

// A JSON string literal with quotes and escapes: for the few hand-built request bodies.
std::string json_quote(const std::string& text);

}  // namespace kb::controller::kube
