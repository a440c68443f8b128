#pragma once
// A minimal streaming JSON writer (Boost 1.74 has no Boost.JSON). It tracks commas itself so
// callers only say what comes next; strings are escaped per RFC 8259 (control characters as \u00XX,
// bytes >= 0x80 passed through: the inputs are UTF-8 names and URLs).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kb::proxy::admin {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);  // inside an object, before each value

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  JsonWriter& value(int64_t n);
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(double d);  // non-finite values are written as null
  JsonWriter& null();

  // key(name).value(v) in one call.
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

void append_json_string(std::string& out, std::string_view text);

}  // namespace kb::proxy::admin
