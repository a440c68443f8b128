#pragma once
// A route's `allow` list: the client addresses it serves (others get 403), as ingress-nginx's
// whitelist-source-range. Compiled once per snapshot from the table's CIDR texts (the codec has
// checked them with config::parse_cidr); allows() is a few byte compares, safe from any thread.
// IPv4 is held as IPv4-mapped IPv6, so "10.0.0.0/8" also matches a client seen as ::ffff:10.1.2.3
// on a dual-stack socket.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::core {

class SourceAllowlist {
 public:
  SourceAllowlist() = default;
  static SourceAllowlist compile(const std::vector<std::string>& cidrs);

  bool empty() const { return cidrs_.empty(); }  // empty: everyone is allowed
  // `v6` is the address in IPv6 form (IPv4 mapped: ::ffff:a.b.c.d, what asio's
  // address_v6::v4_mapped gives).
  bool allows(const std::array<uint8_t, 16>& v6) const;
  bool allows(std::string_view address_text) const;  // "10.1.2.3" or "fd00::1"; unparsable: denied

 private:
  std::vector<config::Cidr> cidrs_;
};

}  // namespace kb::proxy::core
