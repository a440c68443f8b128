#include "proxy/core/sticky.h"

namespace kb::proxy::core {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::optional<std::string_view> url_param_value(std::string_view target, std::string_view name,
                                                bool scolon_path_delim) {
  if (name.empty()) return std::nullopt;
  const std::string_view delims = scolon_path_delim ? std::string_view(";?&") : std::string_view("?&");
  for (std::size_t at = target.find(name); at != std::string_view::npos; at = target.find(name, at + 1)) {
    std::size_t p = at + name.size();
    if (p >= target.size() || target[p] != '=') continue;
    ++p;
    if (p >= target.size()) continue;  // "name=" at the very end: Apache keeps searching
    // Apache tokenises with apr_strtok, which skips leading delimiters: "name=&x" yields "x".
    const std::size_t begin = target.find_first_not_of(delims, p);
    if (begin == std::string_view::npos) return std::nullopt;
    const std::size_t end = target.find_first_of(delims, begin);
    return target.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  }
  return std::nullopt;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  if (name.empty()) return std::nullopt;
  for (std::size_t at = header.find(name); at != std::string_view::npos; at = header.find(name, at + 1)) {
    if (at != 0) {
      const char before = header[at - 1];
      if (before != ';' && before != ',' && !is_space(before)) continue;
    }
    std::size_t p = at + name.size();
    while (p < header.size() && is_space(header[p])) ++p;
    if (p >= header.size() || header[p] != '=') continue;
    ++p;
    if (p >= header.size()) continue;  // "NAME=" at the very end: keep searching, as Apache
    const std::size_t end = header.find_first_of(";,", p);
    return header.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p);
  }
  return std::nullopt;
}

SessionRoute find_session_route(const config::StickySession& sticky, std::string_view target,
                                std::span<const std::string_view> cookie_headers) {
  SessionRoute out;
  if (!sticky.enabled()) return out;
  // One name serves as both (the codec already copies it; hand-built configs may not).
  const std::string_view param = sticky.url_param.empty() ? std::string_view(sticky.cookie) : sticky.url_param;
  std::optional<std::string_view> value = url_param_value(target, param, sticky.scolon_path_delim);
  if (value) {
    out.sticky_used = param;
  } else if (!sticky.cookie.empty()) {
    for (std::string_view header : cookie_headers) {
      value = cookie_value(header, sticky.cookie);
      if (value) {
        out.sticky_used = sticky.cookie;
        break;
      }
    }
  }
  if (!value) return out;
  std::string_view route = *value;
  if (sticky.separator) {
    const std::size_t sep = route.find(*sticky.separator);
    if (sep == std::string_view::npos) return out;
    route.remove_prefix(sep + 1);
  }
  out.route = route;
  return out;
}

}  // namespace kb::proxy::core
