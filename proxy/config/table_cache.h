#pragma once
// The table codec for a table that is rendered and read again and again (the controller writes it
// on every EndpointSlice change, the proxy reads it on every write): both ends redo only the
// balancers that changed, so one member change at 2,000 balancers costs one balancer's YAML, not
// the whole file's (figures: docs/benchmarks-controller.md, `bench/table_bench`).
//
// The rendered form, what emit_table() and TableEmitter write:
//
//   # kube-balancer table... kRenderedHeader: the first line says the rest has this shape
//   balancers:               (or "balancers: []")
//   - name: "ns/svc:80"      one block per balancer, starting with "- " at column 0,
//     members:               every other line of it indented or empty
//     - url: http://...
//   routes:                  (or "routes: []"), then its items the same way
//   - host: ...
//   defaultbackend: "..."    (optional) then the optional `tls:` and `defaultcertificate:`
//                            keys: this tail is decoded whole (it is small and changes rarely)
//
// TableParser splits a file of exactly that shape (header first) at its column-0 lines without
// parsing it, decodes each balancer block it has not seen before (keyed by its text) and reuses
// the rest.
// Any other shape, and any problem at all, goes to parse_table() on the whole text, so results
// and error messages (file:line:column: field) are parse_table()'s. Files without the header
// (written by hand) are always parsed whole: the split trusts that no quoted scalar runs across
// a column-0 line, which the emitter guarantees and yaml-cpp's leniency does not.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {

inline constexpr std::string_view kRenderedHeader =
    "# kube-balancer table, rendered form (docs/table-format.md): rewritten by its writer, do not edit";

class TableEmitter {
 public:
  // Same bytes as emit_table(table); re-emits only balancers that differ from the last call's.
  std::string emit(const Table& table);

 private:
  struct Entry {
    Balancer balancer;
    std::string text;
  };
  std::unordered_map<std::string, Entry> balancers_;  // by balancer name
  std::vector<Route> routes_;
  std::optional<std::string> routes_text_;
};

class TableParser {
 public:
  // Same result as parse_table(text, source).
  TableResult parse(std::string_view text, std::string_view source = "<string>");
  // Same result as load_table_file(path).
  TableResult load_file(const std::string& path);

  // How the last parse went, for tests and the benchmark.
  struct Stats {
    bool rendered_form = false;  // split without parsing (else: parse_table on the whole text)
    std::size_t balancers_decoded = 0;
    std::size_t balancers_reused = 0;
  };
  const Stats& last() const { return last_; }

 private:
  TableResult parse_whole(std::string_view text, std::string_view source);

  std::unordered_map<std::string, Balancer> balancers_;  // by block text
  std::string routes_text_;
  std::vector<Route> routes_;
  std::string tail_text_;  // defaultbackend, tls, defaultcertificate
  Table tail_;
  Stats last_;
};

}  // namespace kb::proxy::config
