#pragma once
// Who may use the balancer-manager: Apache's `Require ip` (an allowlist of CIDRs, loopback only by
// default) plus an optional bearer token. Both must pass when both are set.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/cidr.h"

namespace kb::proxy::admin {

// The address ranges are core::CidrSet's (proxy/core/cidr.h), shared with --trusted-proxies.
using core::Cidr;
using core::parse_ip;

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
