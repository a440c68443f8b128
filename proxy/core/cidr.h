#pragma once
// IPv4/IPv6 address ranges (CIDR) and sets of them: who may use the balancer-manager, which peers
// are trusted proxies (--trusted-proxies), route allowlists. Pure, no allocation in contains(), so
// it may run per request. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so one comparison serves
// both families and an IPv4 client on a dual-stack socket ("::ffff:10.0.0.1") matches "10.0.0.0/8".
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::proxy::core {

using IpBytes = std::array<uint8_t, 16>;  // network order; IPv4 as IPv4-mapped IPv6

// "10.1.2.3", "::1", "[::1]" -> bytes; nullopt when not an address.
std::optional<IpBytes> parse_ip(std::string_view text);
IpBytes ipv4_mapped(const std::array<uint8_t, 4>& v4);  // a.b.c.d -> ::ffff:a.b.c.d

struct Cidr {
  IpBytes address{};
  int prefix = 128;  // in IPv6 bits (an IPv4 /24 is /120 here)
  // "127.0.0.1/32", "10.0.0.0/8", "::1/128", "192.168.1.7" (a bare address is /32 or /128).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpBytes& addr) const;
};

class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(std::vector<Cidr> ranges) : ranges_(std::move(ranges)) {}

  // "10.0.0.0/8, ::1/128" (comma-separated, spaces allowed, empty = the empty set); nullopt with
  // `error` naming the bad entry.
  static std::optional<CidrSet> parse(std::string_view text, std::string& error);

  bool contains(const IpBytes& addr) const;
  bool contains(std::string_view ip) const;  // false for text that is not an address
  bool empty() const { return ranges_.empty(); }
  const std::vector<Cidr>& ranges() const { return ranges_; }

 private:
  std::vector<Cidr> ranges_;
};

}  // namespace kb::proxy::core
