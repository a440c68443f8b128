#pragma once
// The conditions of a route beyond host + path (methods, headers, query parameters), compiled
// once per snapshot (regexes included) and evaluated read-only from any thread.
//
// Semantics (Gateway API HTTPRouteMatch): every condition must hold. A method list matches when
// the request method is one of them (case-sensitive). A header condition looks at the first
// header of that name (case-insensitive); a query condition at the first parameter of that name
// (case-sensitive, no percent-decoding). Exact compares the whole value; a regex (ECMAScript) must
// match the whole value. A missing header or parameter fails its condition.
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/request_view.h"

namespace kb::proxy::core {

class RouteMatch {
 public:
  RouteMatch() = default;
  // Regexes were checked by the codec; one that still fails to compile never matches.
  static RouteMatch compile(const config::Route& route);

  bool empty() const { return methods_.empty() && headers_.empty() && queries_.empty(); }
  bool matches(const RequestView& request) const;
  // Gateway API precedence among equal paths: method, then header count, then query count.
  bool has_method() const { return !methods_.empty(); }
  std::size_t header_count() const { return headers_.size(); }
  std::size_t query_count() const { return queries_.size(); }

 private:
  struct Condition {
    std::string name;
    std::string value;
    std::optional<std::regex> regex;  // set for MatchType::kRegex
    bool bad_regex = false;
    bool test(std::string_view actual) const;
  };
  std::vector<std::string> methods_;
  std::vector<Condition> headers_;
  std::vector<Condition> queries_;
};

// The value of the first query parameter `name` in `target` ("/p?a=1&b=2"), or nullopt. A
// parameter without '=' has the empty value.
std::optional<std::string_view> query_param(std::string_view target, std::string_view name);

}  // namespace kb::proxy::core
