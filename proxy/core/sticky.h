#pragma once
// Where a request says which member its session lives on, exactly as Apache's
// mod_proxy_balancer find_session_route / get_path_param / get_cookie_param:
//   1. the URL parameter (stickysession's second name): "name=" found anywhere in the
//      request-target (strstr, so "xjsessionid=" matches too, and a path parameter ";jsessionid="
//      as well as a query parameter), value up to '?' or '&', and ';' with scolonpathdelim;
//   2. else the cookie (the first name): the name at the start of a Cookie header or after ';',
//      ',' or a space, optional spaces, '=', the value up to ';' or ','. Names are case-sensitive;
//   3. the route is the text after the FIRST separator (stickysessionsep, '.' by default:
//      "ABC.node1" -> "node1"); with the separator Off the whole value is the route; a value
//      without the separator, or an empty route, means "no route".
// Pure functions over string_views into the request: no allocation, safe from any thread.
#include <optional>
#include <span>
#include <string_view>

#include "proxy/config/table.h"

namespace kb::proxy::core {

struct SessionRoute {
  std::string_view route;        // "" = none
  std::string_view sticky_used;  // the cookie or parameter name that carried it (BALANCER_SESSION_STICKY)
};

// Apache's get_path_param over the request-target.
std::optional<std::string_view> url_param_value(std::string_view target, std::string_view name,
                                                bool scolon_path_delim);
// Apache's get_cookie_param over one Cookie header value.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

// The session route of a request (URL first, then each Cookie header in order).
SessionRoute find_session_route(const config::StickySession& sticky, std::string_view target,
                                std::span<const std::string_view> cookie_headers);

}  // namespace kb::proxy::core
