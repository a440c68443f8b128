#pragma once
// Cross-field checks of a decoded table: unique names, routes that name existing balancers,
// member URLs the proxy can reach, hosts and paths an Ingress would accept. `root` (the YAML
// document, may be undefined) only supplies line numbers for the messages.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/table.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {

struct MemberUrl {
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // "" or "/base" without a trailing slash
};
// Parses "http://host[:port][/path]" (IPv6 in brackets). Returns false with a reason.
bool parse_member_url(const std::string& url, MemberUrl& out, std::string& error);

void validate_table(const Table& table, const YAML::Node& root, const std::string& source,
                    std::vector<ConfigError>& errors);

}  // namespace kb::proxy::config
