#include "proxy/core/host_index.h"

#include <cctype>

namespace kb::proxy::core {
namespace {

constexpr std::size_t kMaxHost = 255;  // DNS names are at most 253 characters

// Lower-cases into `buf`; empty when the name is too long to be a host.
std::string_view lower(std::string_view host, char (&buf)[kMaxHost]) {
  if (host.ends_with('.')) host.remove_suffix(1);  // "example.com." is the same name
  if (host.size() > kMaxHost) return {};
  for (std::size_t i = 0; i < host.size(); ++i)
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(host[i])));
  return std::string_view(buf, host.size());
}

}  // namespace

bool HostIndex::add(std::string_view host, int32_t value) {
  char buf[kMaxHost];
  std::string_view h = lower(host, buf);
  if (h.empty()) return false;
  Map& map = h.starts_with("*.") ? wildcard_ : exact_;
  if (h.starts_with("*.")) h.remove_prefix(2);
  return map.try_emplace(std::string(h), value).second;
}

int32_t HostIndex::find(std::string_view host) const {
  char buf[kMaxHost];
  const std::string_view h = lower(host, buf);
  if (h.empty()) return kNone;
  if (auto it = exact_.find(h); it != exact_.end()) return it->second;
  const auto dot = h.find('.');
  if (dot == std::string_view::npos || dot == 0 || wildcard_.empty()) return kNone;
  if (auto it = wildcard_.find(h.substr(dot + 1)); it != wildcard_.end()) return it->second;
  return kNone;
}

}  // namespace kb::proxy::core
