#pragma once
// application/x-www-form-urlencoded and query strings, as the balancer-manager's forms send them.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kb::proxy::admin {

// Percent-decodes, '+' as space. Invalid escapes make the whole value invalid (nullopt).
std::optional<std::string> url_decode(std::string_view text);
// "a=1&b=x+y" -> {a: "1", b: "x y"}; the last of repeated keys wins; nullopt on a bad escape.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view text);
// For HTML attributes and text.
std::string html_escape(std::string_view text);
std::string url_encode(std::string_view text);

}  // namespace kb::proxy::admin
