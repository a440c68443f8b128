#include "proxy/core/forwarded.h"

#include <gtest/gtest.h>

#include "proxy/core/cidr.h"

namespace kb::proxy::core {
namespace {

TEST(Forwarded, UntrustedPeersGetTheirHeadersReplaced) {
  const auto d = decide_forwarded(false, "https", "http");
  EXPECT_FALSE(d.keep_incoming_for);
  EXPECT_EQ(d.proto, "http");  // a plain client cannot claim https
  EXPECT_EQ(decide_forwarded(false, "", "https").proto, "https");
  EXPECT_EQ(decide_forwarded(false, "http", "https").proto, "https");
}

TEST(Forwarded, TrustedPeersKeepTheChainAndTheirScheme) {
  auto d = decide_forwarded(true, "https", "http");  // behind a TLS offloader
  EXPECT_TRUE(d.keep_incoming_for);
  EXPECT_EQ(d.proto, "https");
  EXPECT_EQ(decide_forwarded(true, " HTTPS , http", "http").proto, "https");  // first of a chain
  EXPECT_EQ(decide_forwarded(true, "", "https").proto, "https");             // none sent: ours
  EXPECT_EQ(decide_forwarded(true, "gopher", "http").proto, "http");         // nonsense: ours
}

TEST(Forwarded, WithATrustedSet) {
  std::string error;
  const auto trusted = *CidrSet::parse("10.0.0.0/8", error);
  EXPECT_TRUE(decide_forwarded(trusted.contains("10.1.1.1"), "https", "http").keep_incoming_for);
  EXPECT_FALSE(decide_forwarded(trusted.contains("203.0.113.9"), "https", "http").keep_incoming_for);
  EXPECT_FALSE(decide_forwarded(CidrSet().contains("10.1.1.1"), "https", "http").keep_incoming_for);  // default: none
}

}  // namespace
}  // namespace kb::proxy::core
