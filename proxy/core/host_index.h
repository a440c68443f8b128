#pragma once
// Host name -> value with the host rules of Ingress `spec.tls` and SNI certificate selection: an
// exact name first, then a one-label wildcard ("*.example.com" matches "a.example.com", not
// "a.b.example.com" nor "example.com"), case-insensitive. Built on the control plane; find() is
// read-only, allocation-free and safe from any thread (it runs in the TLS servername callback).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kb::proxy::core {

class HostIndex {
 public:
  static constexpr int32_t kNone = -1;

  // `host`: "shop.example.com" or "*.example.com", any case. False (and no change) when the host
  // is already present: the first entry wins.
  bool add(std::string_view host, int32_t value);
  // `host`: any case, without port or trailing dot handling beyond one final '.'; kNone if no entry.
  int32_t find(std::string_view host) const;
  bool empty() const { return exact_.empty() && wildcard_.empty(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, int32_t, Hash, std::equal_to<>>;
  Map exact_;     // "shop.example.com"
  Map wildcard_;  // "example.com" for "*.example.com"
};

}  // namespace kb::proxy::core
