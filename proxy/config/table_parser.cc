// TableParser: the rendered form split at its column-0 lines, balancer blocks decoded only when
// their text is new. See table_cache.h for the form and why any doubt falls back to parse_table.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/table_cache.h"
#include "proxy/config/validate.h"

namespace kb::proxy::config {
namespace {

struct RenderedParts {
  std::vector<std::string_view> balancers;  // "- name: ...\n  ...\n", one per balancer
  std::string_view routes;                  // "routes:\n- ...", or "routes: []\n"
  std::string_view tail;                    // "defaultbackend: ...", "tls:", "defaultcertificate:" or empty
};

bool continues_block(std::string_view line) {
  return line.empty() || line.front() == ' ' || line.front() == '#';
}

// nullopt unless `text` has exactly the shape emit_table() writes.
std::optional<RenderedParts> split_rendered(std::string_view text) {
  if (!text.starts_with(kRenderedHeader) || !text.substr(kRenderedHeader.size()).starts_with('\n'))
    return std::nullopt;
  text.remove_prefix(kRenderedHeader.size() + 1);
  enum class At { kStart, kBalancers, kRoutes, kTail } at = At::kStart;
  RenderedParts parts;
  bool empty_list = false;          // "balancers: []" or "routes: []": no items may follow
  std::size_t block = std::string_view::npos;  // start of the open balancer block
  std::size_t routes = 0, tail = text.size();
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t eol = text.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    const std::string_view line = text.substr(pos, next - pos - (eol == std::string_view::npos ? 0 : 1));
    const bool item = line.starts_with("- ");
    switch (at) {
      case At::kStart:
        if (line == "balancers:" || line == "balancers: []") {
          at = At::kBalancers;
          empty_list = line.size() > 10;
        } else if (!line.empty() && line.front() != '#') {
          return std::nullopt;
        }
        break;
      case At::kBalancers:
        if (item && !empty_list) {
          if (block != std::string_view::npos) parts.balancers.push_back(text.substr(block, pos - block));
          block = pos;
        } else if (line == "routes:" || line == "routes: []") {
          if (block != std::string_view::npos) parts.balancers.push_back(text.substr(block, pos - block));
          at = At::kRoutes;
          empty_list = line.size() > 7;
          routes = pos;
        } else if (!continues_block(line) || (block == std::string_view::npos && !line.empty() && line.front() == ' ')) {
          return std::nullopt;
        }
        break;
      case At::kRoutes:
        if (line.starts_with("defaultbackend:") || line.starts_with("tls:") || line.starts_with("defaultcertificate:")) {
          at = At::kTail;
          tail = pos;
        } else if (item ? empty_list : !continues_block(line)) {
          return std::nullopt;
        }
        break;
      case At::kTail:  // decoded whole (decode_table_part), so any YAML may follow
        break;
    }
    pos = next;
  }
  if (at != At::kRoutes && at != At::kTail) return std::nullopt;
  parts.routes = text.substr(routes, tail - routes);
  parts.tail = text.substr(tail);
  return parts;
}

}  // namespace

TableResult TableParser::parse_whole(std::string_view text, std::string_view source) {
  balancers_.clear();
  routes_text_.clear();
  routes_.clear();
  tail_text_.clear();
  tail_ = Table{};
  last_ = Stats{};
  return parse_table(text, source);
}

TableResult TableParser::parse(std::string_view text, std::string_view source) {
  const std::optional<RenderedParts> parts = split_rendered(text);
  if (!parts) return parse_whole(text, source);
  TableResult result;
  Stats stats{true, 0, 0};
  std::unordered_map<std::string, Balancer> seen;
  seen.reserve(parts->balancers.size());
  std::string doc;
  for (const std::string_view block : parts->balancers) {
    // A known block moves from the old cache to the new one; the table gets a copy.
    if (auto node = balancers_.extract(std::string(block))) {
      result.table.balancers.push_back(node.mapped());
      seen.insert(std::move(node));
      ++stats.balancers_reused;
      continue;
    }
    Table part;
    doc.assign("balancers:\n").append(block);
    if (!decode_table_part(doc, part) || part.balancers.size() != 1 || !part.routes.empty())
      return parse_whole(text, source);
    result.table.balancers.push_back(std::move(part.balancers[0]));
    seen.try_emplace(std::string(block), result.table.balancers.back());
    ++stats.balancers_decoded;
  }
  if (parts->routes != routes_text_) {
    Table part;
    if (!decode_table_part(parts->routes, part) || !part.balancers.empty()) return parse_whole(text, source);
    routes_text_.assign(parts->routes);
    routes_ = std::move(part.routes);
  }
  result.table.routes = routes_;
  if (parts->tail != tail_text_) {
    Table part;
    if (!parts->tail.empty() && (!decode_table_part(parts->tail, part) || !part.balancers.empty() || !part.routes.empty()))
      return parse_whole(text, source);
    tail_text_.assign(parts->tail);
    tail_ = std::move(part);
  }
  result.table.default_backend = tail_.default_backend;
  result.table.tls = tail_.tls;
  result.table.default_certificate = tail_.default_certificate;
  // Problems are rare and need line numbers: parse_table gives them.
  validate_table(result.table, YAML::Node(YAML::NodeType::Undefined), std::string(source), result.errors);
  if (!result.errors.empty()) return parse_whole(text, source);
  balancers_ = std::move(seen);
  last_ = stats;
  return result;
}

TableResult TableParser::load_file(const std::string& path) {
  std::string text;
  if (!read_text_file(path, text)) return load_table_file(path);  // its "cannot open" error
  return parse(text, path);
}

}  // namespace kb::proxy::config
