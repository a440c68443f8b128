// libFuzzer target: the table loader (proxy/config). Any bytes are a candidate table file.
// Properties checked beyond "no crash, no sanitizer report":
//   * a table that parses emits to text that parses to the same table (the controller writes
//     what the proxy reads: emit and parse must agree on every value);
//   * the incremental TableParser gives the same result as parse_table on that rendered text, and
//     the same verdict on the raw input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "table_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kb::proxy::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const TableResult direct = parse_table(text, "fuzz");
  TableParser incremental;
  const TableResult split = incremental.parse(text, "fuzz");
  if (direct.ok() != split.ok()) fail("TableParser and parse_table disagree on the raw input");
  if (!direct.ok()) return 0;

  const std::string rendered = emit_table(direct.table);
  const TableResult again = parse_table(rendered, "rendered");
  if (!again.ok()) fail("an emitted table does not parse");
  if (!(again.table == direct.table)) fail("emit -> parse changed the table");
  const TableResult again_split = incremental.parse(rendered, "rendered");
  if (!again_split.ok() || !(again_split.table == direct.table))
    fail("TableParser on the rendered form differs from parse_table");
  return 0;
}
