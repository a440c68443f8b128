#pragma once
// application/x-www-form-urlencoded and query strings, as the balancer-manager's forms send them.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::proxy::admin {

// Percent-decodes, '+' as space. Invalid escapes make the whole value invalid (nullopt).
std::optional<std::string> url_decode(std::string_view text);
// "a=1&b=x+y&a=2" -> [(a, 1), (b, "x y"), (a, 2)] in order; nullopt on a bad escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view text);
// parse_query as a map: the last of repeated keys wins.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view text);
// For HTML attributes and text.
std::string html_escape(std::string_view text);
std::string url_encode(std::string_view text);

}  // namespace kb::proxy::admin
