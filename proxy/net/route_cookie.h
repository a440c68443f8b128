#pragma once
// Apache's documented ROUTEID recipe: when the balancer chose (or changed) a member for a sticky
// session, the proxy sets `NAME=<sep><route>` so the next request sticks to that member.
#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/table.h"

namespace kb::proxy::net {

// Appends the Set-Cookie value, e.g. "ROUTEID=.r1; Path=/; HttpOnly; SameSite=Lax; Max-Age=60".
// `separator` is the balancer's stickysessionsep (nullopt = Off: the value is the bare route).
void append_route_cookie(const config::RouteCookie& cookie, std::optional<char> separator,
                         std::string_view route, std::string& out);

}  // namespace kb::proxy::net
