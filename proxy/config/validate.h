#pragma once
// Cross-field checks of a decoded table: unique names, routes that name existing balancers,
// member URLs the proxy can reach, hosts and paths an Ingress would accept. `root` (the YAML
// document, may be undefined) only supplies line numbers for the messages.
#include <string>
#include <string_view>
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

// Fills line and column of the errors that name a field but no line ("tls[0].certificate"), from
// the YAML text the table was read from: for problems found after decoding (certificate files are
// checked where the table is applied), so they read like every other table error.
void locate_fields(std::string_view yaml_text, std::vector<ConfigError>& errors);

void validate_table(const Table& table, const YAML::Node& root, const std::string& source,
                    std::vector<ConfigError>& errors);

}  // namespace kb::proxy::config
