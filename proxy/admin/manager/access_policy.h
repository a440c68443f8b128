#pragma once
// Who may use the balancer-manager: Apache's `Require ip` (an allowlist of CIDRs, loopback only by
// default) plus an optional bearer token. Both must pass when both are set.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::proxy::admin {

struct Cidr {
  std::array<uint8_t, 16> address{};  // IPv4 stored as IPv4-mapped IPv6 (::ffff:a.b.c.d)
  int prefix = 128;                   // in IPv6 bits (an IPv4 /24 is /120 here)
  static std::optional<Cidr> parse(std::string_view text);  // "127.0.0.1/32", "10.0.0.0/8", "::1/128", "192.168.1.7"
  bool contains(const std::array<uint8_t, 16>& addr) const;
};

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text);  // v4 becomes v4-mapped v6

class AccessPolicy {
 public:
  AccessPolicy() : AccessPolicy(std::vector<Cidr>{*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")}, "") {}
  AccessPolicy(std::vector<Cidr> allow, std::string token) : allow_(std::move(allow)), token_(std::move(token)) {}

  // Parses "127.0.0.1/32,10.0.0.0/8"; returns nullopt and sets `error` naming the bad entry.
  static std::optional<std::vector<Cidr>> parse_list(std::string_view text, std::string& error);

  enum class Verdict { kAllowed, kAddressRefused, kTokenRefused };
  // `client_ip`: the peer address; `authorization`: the Authorization header value ("" if none).
  Verdict check(std::string_view client_ip, std::string_view authorization) const;

 private:
  std::vector<Cidr> allow_;
  std::string token_;
};

}  // namespace kb::proxy::admin
