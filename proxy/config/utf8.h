#pragma once
// YAML text must be Unicode (UTF-8 here); yaml-cpp reads invalid bytes as they are and its emitter
// then writes U+FFFD instead, so a table with such bytes would not survive the controller's
// emit -> the proxy's parse. The table is rejected up front instead (found by tests/fuzz/table_fuzz).
#include <optional>
#include <string_view>

namespace kb::proxy::config {

struct TextPosition {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};

// Where the first byte that does not start or continue a well-formed UTF-8 sequence is (overlong
// forms, surrogates and code points past U+10FFFF included); nullopt when the text is valid.
std::optional<TextPosition> first_invalid_utf8(std::string_view text);

}  // namespace kb::proxy::config
