// libFuzzer target: sticky-route extraction (proxy/core/sticky.h, Apache's find_session_route).
// The input is split at the first two 0x00 bytes into the stickysession setting, the
// request-target and the Cookie header values (separated by 0x01). Properties: no crash, no
// out-of-bounds read (ASan), and the returned route is a view into the target or one of the
// cookie values, never into freed or foreign memory.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table_yaml.h"
#include "proxy/core/sticky.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kb::proxy;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto first = input.find('\0');
  if (first == std::string::npos) return 0;
  const auto second = input.find('\0', first + 1);
  if (second == std::string::npos) return 0;

  config::StickySession sticky;
  std::string error;
  if (!config::parse_sticky_session(std::string_view(input).substr(0, first), sticky, error)) return 0;
  if (first + 1 < second && (input[first + 1] & 1)) sticky.separator.reset();
  sticky.scolon_path_delim = (size & 1) != 0;

  const std::string_view target = std::string_view(input).substr(first + 1, second - first - 1);
  std::vector<std::string_view> cookies;
  std::string_view rest = std::string_view(input).substr(second + 1);
  while (!rest.empty()) {
    const auto cut = rest.find('\1');
    cookies.push_back(rest.substr(0, cut));
    if (cut == std::string_view::npos) break;
    rest = rest.substr(cut + 1);
  }

  const core::SessionRoute found = core::find_session_route(sticky, target, cookies);
  if (found.route.empty()) return 0;
  bool ok = inside(found.route, target);
  for (std::string_view c : cookies) ok = ok || inside(found.route, c);
  if (!ok) {
    std::fprintf(stderr, "sticky_fuzz: the route points outside the request\n");
    std::abort();
  }
  return 0;
}
