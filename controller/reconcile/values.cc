#include "controller/reconcile/values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "proxy/config/table_yaml.h"

namespace kb::controller::reconcile {
namespace {

std::string lower(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_bool(std::string_view text, bool& out, std::string& error) {
  const std::string t = lower(trim(text));
  if (t == "true" || t == "on" || t == "yes" || t == "1") {
    out = true;
  } else if (t == "false" || t == "off" || t == "no" || t == "0") {
    out = false;
  } else {
    error = "must be true or false (or On/Off); got '" + std::string(text) + "'";
    return false;
  }
  return true;
}

bool parse_int(std::string_view text, int64_t min, int64_t max, int64_t& out, std::string& error) {
  const std::string_view t = trim(text);
  int64_t value = 0;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) {
    error = "must be an integer; got '" + std::string(text) + "'";
    return false;
  }
  if (value < min || value > max) {
    error = "must be between " + std::to_string(min) + " and " + std::to_string(max) + "; got " + std::to_string(value);
    return false;
  }
  out = value;
  return true;
}

bool parse_number(std::string_view text, double min, double max, double& out, std::string& error) {
  const std::string t(trim(text));
  double value = 0;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty() || !std::isfinite(value)) {
    error = "must be a number; got '" + std::string(text) + "'";
    return false;
  }
  if (value < min || value > max) {
    error = "must be between " + std::to_string(static_cast<int64_t>(min)) + " and " +
            std::to_string(static_cast<int64_t>(max)) + "; got '" + t + "'";
    return false;
  }
  out = value;
  return true;
}

bool parse_status_list(std::string_view text, std::vector<int>& out, std::string& error) {
  std::vector<int> codes;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ',' && text[j] != ' ') ++j;
    if (j > i) {
      int64_t code = 0;
      if (!parse_int(text.substr(i, j - i), 100, 599, code, error)) {
        error = "status codes " + error;
        return false;
      }
      codes.push_back(static_cast<int>(code));
    }
    i = j;
  }
  out = std::move(codes);
  return true;
}

bool parse_status_range(std::string_view text, int& min, int& max, std::string& error) {
  const auto dash = text.find('-');
  int64_t lo = 0;
  int64_t hi = 0;
  if (!parse_int(text.substr(0, dash), 100, 599, lo, error)) return false;
  hi = lo;
  if (dash != std::string_view::npos && !parse_int(text.substr(dash + 1), 100, 599, hi, error)) return false;
  if (hi < lo) {
    error = "must be a status range like 200-399; got '" + std::string(text) + "'";
    return false;
  }
  min = static_cast<int>(lo);
  max = static_cast<int>(hi);
  return true;
}

bool parse_separator(std::string_view text, std::optional<char>& out, std::string& error) {
  if (lower(text) == "off") {
    out.reset();
    return true;
  }
  if (text.size() != 1 || text[0] <= ' ' || text[0] >= 127) {
    error = "must be a single character or Off; got '" + std::string(text) + "'";
    return false;
  }
  out = text[0];
  return true;
}

bool parse_route_cookie(std::string_view text, proxy::config::RouteCookie& out, std::string& error) {
  proxy::config::RouteCookie cookie;
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const std::string_view item = trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string key = lower(trim(item.substr(0, eq)));
    const std::string_view val = eq == std::string_view::npos ? std::string_view() : trim(item.substr(eq + 1));
    if (first && eq == std::string_view::npos) {
      cookie.name = std::string(item);  // the short form: just the cookie name
    } else if (key == "name") {
      cookie.name = std::string(val);
    } else if (key == "path") {
      if (!val.starts_with('/')) {
        error = "path must start with '/'";
        return false;
      }
      cookie.path = std::string(val);
    } else if (key == "secure" || key == "httponly") {
      bool on = true;
      if (eq != std::string_view::npos && !parse_bool(val, on, error)) {
        error = key + " " + error;
        return false;
      }
      (key == "secure" ? cookie.secure : cookie.http_only) = on;
    } else if (key == "samesite") {
      const std::string v = lower(val);
      if (v == "lax") cookie.same_site = "Lax";
      else if (v == "strict") cookie.same_site = "Strict";
      else if (v == "none") cookie.same_site = "None";
      else {
        error = "samesite must be Lax, Strict or None; got '" + std::string(val) + "'";
        return false;
      }
    } else if (key == "maxage") {
      int64_t age = 0;
      if (!parse_int(val, 0, int64_t{1} << 40, age, error)) {
        error = "maxage " + error;
        return false;
      }
      cookie.max_age = age;
    } else {
      error = "unknown route cookie attribute '" + key + "' (name, path, secure, httponly, samesite, maxage)";
      return false;
    }
    first = false;
  }
  std::string why;
  if (cookie.name.empty() || !valid_route(cookie.name, why)) {
    error = "needs a cookie name (token characters), as in \"ROUTEID\" or \"name=ROUTEID;path=/\"";
    return false;
  }
  out = std::move(cookie);
  return true;
}

bool parse_duration_min(std::string_view text, proxy::config::Duration min, proxy::config::Duration& out,
                        std::string& error) {
  proxy::config::Duration d{};
  if (!proxy::config::parse_duration(trim(text), d, error)) return false;
  if (d < min) {
    error = "must be at least " + std::to_string(min.count()) + "ms; got '" + std::string(text) + "'";
    return false;
  }
  out = d;
  return true;
}

std::string pod_hostname(std::string_view pod_name) {
  std::string_view h = pod_name.substr(0, 63);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.remove_suffix(1);
  return std::string(h);
}

bool valid_route(std::string_view route, std::string& error) {
  if (route.size() > 63) {
    error = "must be at most 63 characters";
    return false;
  }
  for (char c : route) {
    if (c <= ' ' || c >= 127 || c == ';' || c == ',' || c == '=' || c == '"' || c == '|') {
      error = "must not contain spaces, control characters or ; , = \" |; got '" + std::string(route) + "'";
      return false;
    }
  }
  return true;
}

}  // namespace kb::controller::reconcile
