#include "proxy/config/validate.h"

#include <gtest/gtest.h>

namespace kb::proxy::config {
namespace {

std::vector<std::string> errors_of(const char* yaml) {
  std::vector<std::string> out;
  for (const auto& e : parse_table(yaml, "v.yaml").errors) out.push_back(e.to_string());
  return out;
}

TEST(Validate, MemberUrls) {
  MemberUrl u;
  std::string err;
  ASSERT_TRUE(parse_member_url("http://10.0.0.1:8080/app/", u, err));
  EXPECT_EQ(u.host, "10.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.base_path, "/app");
  ASSERT_TRUE(parse_member_url("http://backend", u, err));
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.base_path, "");
  ASSERT_TRUE(parse_member_url("http://[::1]:9000", u, err));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  for (const char* bad : {"https://h", "h:80", "http://", "http://h:0", "http://h:70000", "http://h:x", "http://h/a?b"})
    EXPECT_FALSE(parse_member_url(bad, u, err)) << bad;
}

TEST(Validate, CrossReferences) {
  EXPECT_EQ(errors_of("balancers:\n"
                      "  - name: a\n"
                      "    members: [{url: 'http://h:1', route: r1, redirect: r9}]\n"
                      "  - name: a\n"
                      "routes:\n"
                      "  - {path: /x, balancer: nope}\n"
                      "  - {host: 'a.*.com', path: y, balancer: a}\n"
                      "defaultbackend: gone\n"),
            (std::vector<std::string>{
                "v.yaml:3:56: balancers[0].members[0].redirect: names no route of this balancer: 'r9'",
                "v.yaml:4:11: balancers[1].name: duplicate balancer name 'a'",
                "v.yaml:6:26: routes[0].balancer: names no balancer: 'nope'",
                "v.yaml:7:12: routes[1].host: a wildcard host must be '*.' followed by a domain, as in Ingress",
                "v.yaml:7:29: routes[1].path: must start with '/'",
                "v.yaml:8:17: defaultbackend: names no balancer: 'gone'"}));
}

TEST(Validate, DuplicateMembersAndRoutes) {
  const auto errs = errors_of(
      "balancers:\n"
      "  - name: a\n"
      "    members:\n"
      "      - {url: 'http://h:1', route: r1}\n"
      "      - {url: 'http://h:1', route: r1}\n");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_NE(errs[0].find("duplicate member name"), std::string::npos);
  EXPECT_NE(errs[1].find("duplicate route 'r1'"), std::string::npos);
}

}  // namespace
}  // namespace kb::proxy::config
