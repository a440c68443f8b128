#pragma once
// X-Forwarded-For / X-Forwarded-Proto towards the member: kept from the request only when the peer
// is a trusted proxy (--trusted-proxies), else replaced, so a client cannot forge its address or
// scheme. Pure, allocation-free, unit-tested (tests/unit/core/forwarded_test.cc).
#include <string_view>

namespace kb::proxy::core {

struct ForwardedDecision {
  // true: the incoming X-Forwarded-For chain is kept and the peer appended ("a, b, peer");
  // false: X-Forwarded-For is the peer alone.
  bool keep_incoming_for = false;
  // X-Forwarded-Proto to send and the scheme for ProxyPassReverse: "http" or "https" (static).
  std::string_view proto;
};

// `peer_trusted`: the peer address is in the trusted set (CidrSet::contains).
// `incoming_proto`: the request's X-Forwarded-Proto ("" when absent); from a trusted peer its
// first element is used when it is http or https (any case), otherwise the connection's scheme.
// `connection_scheme`: "https" on the TLS listener, "http" on the plain one.
ForwardedDecision decide_forwarded(bool peer_trusted, std::string_view incoming_proto,
                                   std::string_view connection_scheme);

}  // namespace kb::proxy::core
