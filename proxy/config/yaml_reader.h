#pragma once
// The YAML reader the table codec's parts share (table_yaml.cc, route_yaml.cc): walks a document
// keeping the field path, so every error names source:line:column and the field; parsing goes on
// after an error to report them all at once.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <initializer_list>
#include <string>
#include <vector>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {

class Reader {
 public:
  Reader(std::string source, std::vector<ConfigError>& errors)
      : source_(std::move(source)), errors_(errors) {}

  void error(const YAML::Node& node, const std::string& field, const std::string& message) {
    ConfigError e{source_, 0, 0, field, message};
    if (node.IsDefined() && node.Mark().line >= 0) {
      e.line = node.Mark().line + 1;
      e.column = node.Mark().column + 1;
    }
    errors_.push_back(std::move(e));
  }

  // Rejects keys the format does not define: a typo must not silently become a default.
  void check_keys(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> known) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>("");
      bool found = false;
      for (const char* k : known) found = found || key == k;
      if (!found) error(kv.first, join(path, key), "unknown key");
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  bool scalar(const YAML::Node& n, const std::string& field, std::string& out) {
    if (!n.IsScalar()) {
      error(n, field, "must be a scalar");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void string(const YAML::Node& map, const char* key, const std::string& path, std::string& out) {
    const auto n = map[key];
    if (n.IsDefined() && !n.IsNull()) scalar(n, join(path, key), out);
  }

  void boolean(const YAML::Node& map, const char* key, const std::string& path, bool& out) {
    const auto n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    std::string s;
    if (!scalar(n, join(path, key), s)) return;
    // Apache spells booleans On/Off; YAML users write true/false.
    if (s == "true" || s == "On" || s == "on" || s == "yes") out = true;
    else if (s == "false" || s == "Off" || s == "off" || s == "no") out = false;
    else error(n, join(path, key), "must be true/false (or On/Off), got '" + s + "'");
  }

  template <typename Int>
  bool integer(const YAML::Node& map, const char* key, const std::string& path, Int& out, long long min,
               long long max) {
    const auto n = map[key];
    if (!n.IsDefined() || n.IsNull()) return false;
    std::string s;
    if (!scalar(n, join(path, key), s)) return false;
    long long v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
      error(n, join(path, key), "must be an integer, got '" + s + "'");
      return false;
    }
    if (v < min || v > max) {
      error(n, join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return false;
    }
    out = static_cast<Int>(v);
    return true;
  }

  bool duration(const YAML::Node& map, const char* key, const std::string& path, Duration& out) {
    const auto n = map[key];
    if (!n.IsDefined() || n.IsNull()) return false;
    std::string s, err;
    if (!scalar(n, join(path, key), s)) return false;
    if (!parse_duration(s, out, err)) {
      error(n, join(path, key), err);
      return false;
    }
    return true;
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<ConfigError>& errors_;
};

// A route entry of the table (route_yaml.cc).
void read_route(Reader& r, const YAML::Node& n, const std::string& path, Route& route);

}  // namespace kb::proxy::config
