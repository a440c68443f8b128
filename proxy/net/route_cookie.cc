#include "proxy/net/route_cookie.h"

namespace kb::proxy::net {

void append_route_cookie(const config::RouteCookie& cookie, std::optional<char> separator,
                         std::string_view route, std::string& out) {
  out.append(cookie.name);
  out.push_back('=');
  if (separator) out.push_back(*separator);
  out.append(route);
  if (!cookie.path.empty()) {
    out.append("; Path=");
    out.append(cookie.path);
  }
  if (!cookie.domain.empty()) {
    out.append("; Domain=");
    out.append(cookie.domain);
  }
  if (cookie.http_only) out.append("; HttpOnly");
  if (cookie.secure) out.append("; Secure");
  if (!cookie.same_site.empty()) {
    out.append("; SameSite=");
    out.append(cookie.same_site);
  }
  if (cookie.max_age) {
    out.append("; Max-Age=");
    out.append(std::to_string(*cookie.max_age));
  }
}

}  // namespace kb::proxy::net
