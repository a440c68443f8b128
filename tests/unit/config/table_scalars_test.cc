#include <gtest/gtest.h>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {
namespace {

TEST(Scalars, Durations) {
  Duration d{};
  std::string err;
  ASSERT_TRUE(parse_duration("60", d, err));
  EXPECT_EQ(d, Duration(60000));  // Apache: plain numbers are seconds
  ASSERT_TRUE(parse_duration("250ms", d, err));
  EXPECT_EQ(d, Duration(250));
  ASSERT_TRUE(parse_duration("2m", d, err));
  EXPECT_EQ(d, Duration(120000));
  ASSERT_TRUE(parse_duration("1h", d, err));
  EXPECT_EQ(d, Duration(3600000));
  for (const char* bad : {"", "-1", "5x", "ms", "1.5s", "99999999999999h"}) EXPECT_FALSE(parse_duration(bad, d, err)) << bad;
}

TEST(Scalars, StatusFlagsFollowApacheSyntax) {
  StatusFlags f;
  std::string err;
  ASSERT_TRUE(parse_status_flags("+H", f, err));
  EXPECT_TRUE(f.hot_standby);
  ASSERT_TRUE(parse_status_flags("D-H", f, err));  // a sign applies to the letters after it
  EXPECT_TRUE(f.disabled);
  EXPECT_FALSE(f.hot_standby);
  StatusFlags all;
  ASSERT_TRUE(parse_status_flags("DSIHRENC", all, err));
  EXPECT_EQ(format_status_flags(all), "+D+S+I+H+R+E+N+C");
  StatusFlags back;
  ASSERT_TRUE(parse_status_flags(format_status_flags(all), back, err));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(parse_status_flags("+Q", f, err));
  EXPECT_NE(err.find("'Q'"), std::string::npos);
}

TEST(Scalars, StickySession) {
  StickySession s;
  std::string err;
  ASSERT_TRUE(parse_sticky_session("JSESSIONID|jsessionid", s, err));
  EXPECT_EQ(s.cookie, "JSESSIONID");
  EXPECT_EQ(s.url_param, "jsessionid");
  ASSERT_TRUE(parse_sticky_session("ROUTEID", s, err));
  EXPECT_EQ(s.cookie, "ROUTEID");
  EXPECT_EQ(s.url_param, "ROUTEID");  // Apache: one name serves as cookie and URL parameter
  EXPECT_FALSE(parse_sticky_session("", s, err));
  EXPECT_FALSE(parse_sticky_session("A|", s, err));
  EXPECT_FALSE(parse_sticky_session("A B", s, err));
}

TEST(Scalars, MethodsRoundTrip) {
  for (auto m : {LbMethod::kByRequests, LbMethod::kByTraffic, LbMethod::kByBusyness, LbMethod::kHeartbeat}) {
    LbMethod back{};
    ASSERT_TRUE(parse_lbmethod(to_string(m), back));
    EXPECT_EQ(back, m);
  }
  HcMethod h{};
  ASSERT_TRUE(parse_hcmethod("get11", h));
  EXPECT_EQ(h, HcMethod::kGet11);
  EXPECT_FALSE(parse_hcmethod("PROVIDER", h));
}

}  // namespace
}  // namespace kb::proxy::config
