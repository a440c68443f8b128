#pragma once
// What the route decision reads of a request: views into the exchange's parsed header block, so
// nothing is copied. Filled by the data plane (proxy/net) once per request.
#include <span>
#include <string_view>

namespace kb::proxy::core {

struct HeaderView {
  std::string_view name;  // as received; compared case-insensitively
  std::string_view value;
};

struct RequestView {
  std::string_view method;             // "GET"
  std::string_view host;               // lower case, without port
  std::string_view target;             // "/path;p=1?query" as received
  std::span<const HeaderView> headers;  // every request header, in order (Cookie included)
};

// The first header named `name` (case-insensitive), or nullptr.
const HeaderView* find_header(const RequestView& request, std::string_view name);

// ASCII case-insensitive equality (HTTP header names, methods are case-sensitive).
bool iequals(std::string_view a, std::string_view b);

}  // namespace kb::proxy::core
