#include "proxy/core/source_allowlist.h"

namespace kb::proxy::core {

SourceAllowlist SourceAllowlist::compile(const std::vector<std::string>& cidrs) {
  SourceAllowlist list;
  for (const std::string& text : cidrs) {
    config::Cidr c;
    std::string error;
    if (config::parse_cidr(text, c, error)) list.cidrs_.push_back(c);
  }
  // A list whose every entry was unparsable must still deny: keep a prefix nothing matches.
  if (list.cidrs_.empty() && !cidrs.empty()) list.cidrs_.push_back(config::Cidr{{}, 129});
  return list;
}

bool SourceAllowlist::allows(const std::array<uint8_t, 16>& v6) const {
  if (cidrs_.empty()) return true;
  for (const config::Cidr& c : cidrs_) {
    if (c.prefix > 128) continue;
    const int whole = c.prefix / 8, rest = c.prefix % 8;
    bool match = true;
    for (int i = 0; i < whole && match; ++i) match = v6[static_cast<std::size_t>(i)] == c.address[static_cast<std::size_t>(i)];
    if (match && rest != 0) {
      const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
      const auto i = static_cast<std::size_t>(whole);
      match = (v6[i] & mask) == (c.address[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

bool SourceAllowlist::allows(std::string_view address_text) const {
  if (cidrs_.empty()) return true;
  config::Cidr parsed;
  std::string error;
  if (address_text.find('/') != std::string_view::npos || !config::parse_cidr(address_text, parsed, error)) return false;
  return allows(parsed.address);
}

}  // namespace kb::proxy::core
