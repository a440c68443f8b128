#include "proxy/core/cidr.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

CidrSet set(const char* text) {
  std::string error;
  auto s = CidrSet::parse(text, error);
  EXPECT_TRUE(s) << error;
  return s ? *s : CidrSet();
}

TEST(Cidr, ParsesBothFamiliesAndBareAddresses) {
  const auto s = set("10.0.0.0/8, ::1/128,192.168.1.7,2001:db8::/32");
  EXPECT_EQ(s.ranges().size(), 4u);
  EXPECT_TRUE(s.contains("10.255.0.1"));
  EXPECT_FALSE(s.contains("11.0.0.1"));
  EXPECT_TRUE(s.contains("::1"));
  EXPECT_TRUE(s.contains("[::1]"));
  EXPECT_FALSE(s.contains("::2"));
  EXPECT_TRUE(s.contains("192.168.1.7"));
  EXPECT_FALSE(s.contains("192.168.1.8"));
  EXPECT_TRUE(s.contains("2001:db8:ffff::1"));
  EXPECT_FALSE(s.contains("2001:db9::1"));
  EXPECT_TRUE(s.contains("::ffff:10.1.2.3"));  // an IPv4 peer on a dual-stack socket
  EXPECT_FALSE(s.contains("not an address"));
  EXPECT_FALSE(s.contains(""));
}

TEST(Cidr, ByteAddressesAndPrefixEdges) {
  const auto s = set("172.16.0.0/12,0.0.0.0/0");
  EXPECT_TRUE(s.contains(ipv4_mapped({8, 8, 8, 8})));        // /0 covers every IPv4 address
  EXPECT_FALSE(s.contains(*parse_ip("2001:db8::1")));       // ... and no IPv6 one
  const auto twelve = set("172.16.0.0/12");
  EXPECT_TRUE(twelve.contains(ipv4_mapped({172, 31, 255, 255})));
  EXPECT_FALSE(twelve.contains(ipv4_mapped({172, 32, 0, 0})));
  EXPECT_TRUE(set("::/0").contains("2001:db8::1"));
}

TEST(Cidr, EmptyAndBadLists) {
  EXPECT_TRUE(set("").empty());
  EXPECT_TRUE(set(" , ").empty());
  std::string error;
  EXPECT_FALSE(CidrSet::parse("10.0.0.0/33", error));
  EXPECT_EQ(error, "not an IP address or CIDR: '10.0.0.0/33'");
  EXPECT_FALSE(CidrSet::parse("::1/129", error));
  EXPECT_FALSE(CidrSet::parse("10.0.0.0/8,nope", error));
  EXPECT_EQ(error, "not an IP address or CIDR: 'nope'");
  EXPECT_FALSE(CidrSet::parse("10.0.0.0/x", error));
}

}  // namespace
}  // namespace kb::proxy::core
