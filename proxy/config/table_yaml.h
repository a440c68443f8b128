#pragma once
// YAML codec of the balancer table (format: docs/table-format.md). Parsing validates as it goes and
// reports every problem with the source name, line, column and field path, e.g.
//   examples/table.yaml:12:7: balancers[0].members[1].loadfactor: must be between 1 and 100
// Emitting is deterministic (same table, same bytes) so the controller can skip no-op publishes.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table.h"

namespace kb::proxy::config {

struct ConfigError {
  std::string source;  // file name or "<string>"
  int line = 0;        // 1-based; 0 when unknown
  int column = 0;      // 1-based; 0 when unknown
  std::string field;   // "balancers[0].members[1].loadfactor"
  std::string message;
  std::string to_string() const;
};

struct TableResult {
  Table table;                      // meaningful only when ok()
  std::vector<ConfigError> errors;  // empty when the table is valid
  bool ok() const { return errors.empty(); }
};

TableResult parse_table(std::string_view yaml_text, std::string_view source = "<string>");
TableResult load_table_file(const std::string& path);  // an unreadable file is an error too

// Same bytes as TableEmitter (table_cache.h) gives; use that one where a table is emitted again
// and again, it re-emits only what changed.
std::string emit_table(const Table& table);

// For TableParser: decodes a document holding some of the table's top-level keys and appends what
// it holds to `table`; false on any problem (no messages: the caller falls back to parse_table,
// which gives them with the right line numbers). No cross-field validation.
bool decode_table_part(std::string_view yaml_text, Table& table);

// The whole file; false if it cannot be opened.
bool read_text_file(const std::string& path, std::string& out);

// Parsers shared with other inputs (annotations, the balancer-manager): they return false and set
// `error` on bad input.
bool parse_duration(std::string_view text, Duration& out, std::string& error);  // "60", "500ms", "5s", "2m"
bool parse_status_flags(std::string_view text, StatusFlags& flags, std::string& error);  // "+H", "D-E"
std::string format_status_flags(const StatusFlags& flags);  // "+D+H" style; "" for none
bool parse_lbmethod(std::string_view text, LbMethod& out);
const char* to_string(LbMethod method);
bool parse_hcmethod(std::string_view text, HcMethod& out);
const char* to_string(HcMethod method);
bool parse_sticky_session(std::string_view text, StickySession& sticky, std::string& error);  // "JSESSIONID|jsessionid"
// nginx's size syntax: bytes, or a number with k, m or g (1024-based; "10m", "512k", "0" = no limit).
bool parse_size(std::string_view text, uint64_t& out, std::string& error);
// "10.0.0.0/8", "192.168.1.7" (= /32), "fd00::/8", "::1" (= /128). IPv4 is held as IPv4-mapped
// IPv6 (::ffff:a.b.c.d) with the prefix shifted by 96, so one comparison serves both families.
struct Cidr {
  std::array<uint8_t, 16> address{};
  int prefix = 128;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};
bool parse_cidr(std::string_view text, Cidr& out, std::string& error);

// Text the proxy writes onto the wire as it is (route header modifiers, redirects, rewrites): a
// control character there (CR, LF) would split the message head. A header value may hold spaces
// and tabs; a URL, path or host name (request line, Location, Host) holds no whitespace at all.
bool wire_safe_value(std::string_view text);
bool wire_safe_uri(std::string_view text);

}  // namespace kb::proxy::config
