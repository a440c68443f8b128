#include "proxy/admin/manager/access_policy.h"

#include <gtest/gtest.h>

namespace kb::proxy::admin {
namespace {

AccessPolicy policy(const char* cidrs, std::string token = "") {
  std::string err;
  auto list = AccessPolicy::parse_list(cidrs, err);
  EXPECT_TRUE(list) << err;
  return AccessPolicy(*list, std::move(token));
}

TEST(AccessPolicy, AllowlistLikeRequireIp) {
  const auto p = policy("127.0.0.1/32");
  EXPECT_EQ(p.check("127.0.0.1", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(p.check("127.0.0.2", ""), AccessPolicy::Verdict::kAddressRefused);
  EXPECT_EQ(p.check("::1", ""), AccessPolicy::Verdict::kAddressRefused);
  EXPECT_EQ(p.check("garbage", ""), AccessPolicy::Verdict::kAddressRefused);
  const auto wide = policy("10.0.0.0/8, ::1/128, 192.168.1.7");
  EXPECT_EQ(wide.check("10.200.3.4", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(wide.check("11.0.0.1", ""), AccessPolicy::Verdict::kAddressRefused);
  EXPECT_EQ(wide.check("::1", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(wide.check("192.168.1.7", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(wide.check("192.168.1.8", ""), AccessPolicy::Verdict::kAddressRefused);
  EXPECT_EQ(wide.check("::ffff:10.1.1.1", ""), AccessPolicy::Verdict::kAllowed);  // v4-mapped peer
}

TEST(AccessPolicy, DefaultIsLoopbackOnly) {
  const AccessPolicy p;
  EXPECT_EQ(p.check("127.0.0.1", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(p.check("127.9.9.9", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(p.check("::1", ""), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(p.check("10.0.0.1", ""), AccessPolicy::Verdict::kAddressRefused);
}

TEST(AccessPolicy, BearerToken) {
  const auto p = policy("0.0.0.0/0", "s3cret");
  EXPECT_EQ(p.check("8.8.8.8", "Bearer s3cret"), AccessPolicy::Verdict::kAllowed);
  EXPECT_EQ(p.check("8.8.8.8", "Bearer s3cre"), AccessPolicy::Verdict::kTokenRefused);
  EXPECT_EQ(p.check("8.8.8.8", "Bearer s3cretX"), AccessPolicy::Verdict::kTokenRefused);
  EXPECT_EQ(p.check("8.8.8.8", ""), AccessPolicy::Verdict::kTokenRefused);
  EXPECT_EQ(p.check("8.8.8.8", "Basic czNjcmV0"), AccessPolicy::Verdict::kTokenRefused);
}

TEST(AccessPolicy, BadListsNameTheEntry) {
  std::string err;
  EXPECT_FALSE(AccessPolicy::parse_list("127.0.0.1/33", err));
  EXPECT_NE(err.find("127.0.0.1/33"), std::string::npos);
  EXPECT_FALSE(AccessPolicy::parse_list("10.0.0.0/8,nope", err));
  EXPECT_NE(err.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace kb::proxy::admin
