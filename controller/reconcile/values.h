#pragma once
// Parsers for the small value syntaxes of annotations and the BalancerCluster spec that the table
// codec (proxy/config/table_yaml.h) has no parser for. Each returns false and sets `error`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table.h"

namespace kb::controller::reconcile {

// "true"/"false", "on"/"off", "yes"/"no", "1"/"0" (case-insensitive; Apache writes On/Off).
bool parse_bool(std::string_view text, bool& out, std::string& error);
// A decimal integer within [min, max].
bool parse_int(std::string_view text, int64_t min, int64_t max, int64_t& out, std::string& error);
// A decimal number within [min, max] ("1", "2.5").
bool parse_number(std::string_view text, double min, double max, double& out, std::string& error);
// "500,503" or "500 503": HTTP status codes (100..599).
bool parse_status_list(std::string_view text, std::vector<int>& out, std::string& error);
// "200-399" or "200": the health check's expected status range.
bool parse_status_range(std::string_view text, int& min, int& max, std::string& error);
// stickysessionsep: one character, or "Off" (the whole value is the route).
bool parse_separator(std::string_view text, std::optional<char>& out, std::string& error);
// routecookie: "ROUTEID" or "name=ROUTEID;path=/app;secure;httponly=false;samesite=Lax;maxage=3600".
bool parse_route_cookie(std::string_view text, proxy::config::RouteCookie& out, std::string& error);
// A duration bounded below ("hcinterval minimum 100ms").
bool parse_duration_min(std::string_view text, proxy::config::Duration min, proxy::config::Duration& out,
                        std::string& error);
// The pod's $HOSTNAME as the kubelet sets it: the pod name cut to 63 characters, trailing '-' and
// '.' removed. Tomcat's jvmRoute=$HOSTNAME then equals the member route.
std::string pod_hostname(std::string_view pod_name);
// A route is at most 63 characters without ';', ',', '=', spaces or control characters (it travels
// in cookies and URL parameters).
bool valid_route(std::string_view route, std::string& error);

}  // namespace kb::controller::reconcile
