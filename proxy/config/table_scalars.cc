// Scalar parsers shared by the YAML codec, the controller's annotations and the balancer-manager:
// one spelling of each Apache value everywhere.
#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {

bool parse_duration(std::string_view text, Duration& out, std::string& error) {
  // Apache takes plain seconds ("retry=60") and, for some keys, "ms"; we accept ms, s, m, h.
  long long value = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0 || p == text.data()) {
    error = "must be a duration like 60, \"500ms\", \"5s\" or \"2m\"; got '" + std::string(text) + "'";
    return false;
  }
  const std::string_view unit(p, text.data() + text.size() - p);
  long long ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  else if (unit == "ms") ms_per_unit = 1;
  else if (unit == "m") ms_per_unit = 60'000;
  else if (unit == "h") ms_per_unit = 3'600'000;
  if (ms_per_unit == 0 || value > (1LL << 40) / ms_per_unit) {
    error = "must be a duration like 60, \"500ms\", \"5s\" or \"2m\"; got '" + std::string(text) + "'";
    return false;
  }
  out = Duration(value * ms_per_unit);
  return true;
}

namespace {
bool* flag_for(StatusFlags& f, char c) {
  switch (c) {
    case 'D': case 'd': return &f.disabled;
    case 'S': case 's': return &f.stopped;
    case 'I': case 'i': return &f.ignore_errors;
    case 'H': case 'h': return &f.hot_standby;
    case 'R': case 'r': return &f.hot_spare;
    case 'E': case 'e': return &f.in_error;
    case 'N': case 'n': return &f.drain;
    case 'C': case 'c': return &f.hc_failed;
    default: return nullptr;
  }
}
}  // namespace

bool parse_status_flags(std::string_view text, StatusFlags& flags, std::string& error) {
  // Apache's syntax: each letter optionally preceded by '+' (set, the default) or '-' (clear);
  // a sign applies to the letters that follow it ("D-E" sets D and clears E).
  bool set = true;
  for (char c : text) {
    if (c == '+') set = true;
    else if (c == '-') set = false;
    else if (c == ' ' || c == ',') continue;
    else if (bool* f = flag_for(flags, c)) *f = set;
    else {
      error = std::string("unknown status flag '") + c + "' (known: D S I H R E N C)";
      return false;
    }
  }
  return true;
}

std::string format_status_flags(const StatusFlags& f) {
  std::string s;
  const std::pair<bool, char> order[] = {{f.disabled, 'D'}, {f.stopped, 'S'}, {f.ignore_errors, 'I'},
                                         {f.hot_standby, 'H'}, {f.hot_spare, 'R'}, {f.in_error, 'E'},
                                         {f.drain, 'N'}, {f.hc_failed, 'C'}};
  for (const auto& [on, c] : order)
    if (on) (s += '+') += c;
  return s;
}

bool parse_lbmethod(std::string_view t, LbMethod& out) {
  if (t == "byrequests") out = LbMethod::kByRequests;
  else if (t == "bytraffic") out = LbMethod::kByTraffic;
  else if (t == "bybusyness") out = LbMethod::kByBusyness;
  else if (t == "heartbeat") out = LbMethod::kHeartbeat;
  else return false;
  return true;
}

const char* to_string(LbMethod m) {
  switch (m) {
    case LbMethod::kByRequests: return "byrequests";
    case LbMethod::kByTraffic: return "bytraffic";
    case LbMethod::kByBusyness: return "bybusyness";
    case LbMethod::kHeartbeat: return "heartbeat";
  }
  return "byrequests";
}

bool parse_hcmethod(std::string_view t, HcMethod& out) {
  static constexpr std::pair<std::string_view, HcMethod> kNames[] = {
      {"None", HcMethod::kNone}, {"TCP", HcMethod::kTcp}, {"OPTIONS", HcMethod::kOptions},
      {"HEAD", HcMethod::kHead}, {"GET", HcMethod::kGet}, {"OPTIONS11", HcMethod::kOptions11},
      {"HEAD11", HcMethod::kHead11}, {"GET11", HcMethod::kGet11}};
  for (const auto& [name, m] : kNames) {
    // Apache matches hcmethod case-insensitively.
    if (name.size() != t.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < t.size() && eq; ++i) eq = std::toupper(static_cast<unsigned char>(t[i])) == std::toupper(static_cast<unsigned char>(name[i]));
    if (eq) {
      out = m;
      return true;
    }
  }
  return false;
}

const char* to_string(HcMethod m) {
  switch (m) {
    case HcMethod::kNone: return "None";
    case HcMethod::kTcp: return "TCP";
    case HcMethod::kOptions: return "OPTIONS";
    case HcMethod::kHead: return "HEAD";
    case HcMethod::kGet: return "GET";
    case HcMethod::kOptions11: return "OPTIONS11";
    case HcMethod::kHead11: return "HEAD11";
    case HcMethod::kGet11: return "GET11";
  }
  return "None";
}

bool parse_sticky_session(std::string_view text, StickySession& sticky, std::string& error) {
  // "COOKIE|urlparam": the first name is the cookie, the second the URL parameter. With one name,
  // Apache looks for it both as a cookie and as a URL parameter.
  const auto bar = text.find('|');
  std::string cookie(text.substr(0, bar));
  std::string param(bar == std::string_view::npos ? cookie : std::string(text.substr(bar + 1)));
  auto valid = [](const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
      if (c <= ' ' || c >= 127 || c == ';' || c == ',' || c == '=' || c == '|' || c == '"') return false;
    return true;
  };
  if (text.empty() || !valid(cookie) || !valid(param)) {
    error = "must be COOKIE or COOKIE|urlparam with token characters; got '" + std::string(text) + "'";
    return false;
  }
  sticky.cookie = std::move(cookie);
  sticky.url_param = std::move(param);
  return true;
}

bool wire_safe_value(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool wire_safe_uri(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool parse_size(std::string_view text, uint64_t& out, std::string& error) {
  uint64_t value = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(p, text.data() + text.size() - p);
  int shift = -1;
  if (unit.empty()) shift = 0;
  else if (unit == "k" || unit == "K") shift = 10;
  else if (unit == "m" || unit == "M") shift = 20;
  else if (unit == "g" || unit == "G") shift = 30;
  if (ec != std::errc() || p == text.data() || shift < 0 || value > (uint64_t{1} << 50) >> shift) {
    error = "must be a size like 1048576, \"512k\", \"10m\" or \"1g\"; got '" + std::string(text) + "'";
    return false;
  }
  out = value << shift;
  return true;
}

bool parse_cidr(std::string_view text, Cidr& out, std::string& error) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr c;
  int max_prefix = 128;
  if (in6_addr a6{}; inet_pton(AF_INET6, address.c_str(), &a6) == 1) {
    std::memcpy(c.address.data(), &a6, 16);
  } else if (in_addr a4{}; inet_pton(AF_INET, address.c_str(), &a4) == 1) {
    c.address[10] = c.address[11] = 0xff;
    std::memcpy(c.address.data() + 12, &a4, 4);
    max_prefix = 32;
  } else {
    error = "must be an IP address or CIDR like 10.0.0.0/8 or fd00::/8; got '" + std::string(text) + "'";
    return false;
  }
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    const auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || p != bits.data() + bits.size() || bits.empty() || prefix < 0 || prefix > max_prefix) {
      error = "has an invalid prefix length (0-" + std::to_string(max_prefix) + "); got '" + std::string(text) + "'";
      return false;
    }
  }
  c.prefix = prefix + (128 - max_prefix);
  out = c;
  return true;
}

}  // namespace kb::proxy::config
