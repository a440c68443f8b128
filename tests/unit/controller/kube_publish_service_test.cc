// --publish-service: which addresses of the Service go into Ingress status, in ingress-nginx's order.
#include "controller/kube/publish_service.h"

#include <gtest/gtest.h>

namespace kb::controller::kube {
namespace {

TEST(PublishService, LoadBalancerThenExternalIpsThenClusterIp) {
  EXPECT_EQ(publish_addresses(R"({"spec":{"clusterIP":"10.96.0.9","externalIPs":["198.51.100.1"]},)"
                              R"("status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"},{"hostname":"lb.example"}]}}})"),
            (std::vector<LoadBalancerIngress>{{"203.0.113.7", ""}, {"", "lb.example"}}));
  EXPECT_EQ(publish_addresses(R"({"spec":{"clusterIP":"10.96.0.9","externalIPs":["198.51.100.1"]},)"
                              R"("status":{"loadBalancer":{}}})"),
            (std::vector<LoadBalancerIngress>{{"198.51.100.1", ""}}));
  EXPECT_EQ(publish_addresses(R"({"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.9"}})"),
            (std::vector<LoadBalancerIngress>{{"10.96.0.9", ""}}));
  EXPECT_TRUE(publish_addresses(R"({"spec":{"clusterIP":"None"}})").empty());  // headless, nothing yet
  EXPECT_THROW(publish_addresses("{"), std::runtime_error);
}

TEST(PublishService, ParsesNamespaceSlashName) {
  EXPECT_EQ(parse_publish_service("kb/web"), (std::pair<std::string, std::string>{"kb", "web"}));
  EXPECT_FALSE(parse_publish_service("web"));
  EXPECT_FALSE(parse_publish_service("kb/"));
  EXPECT_FALSE(parse_publish_service("/web"));
  EXPECT_FALSE(parse_publish_service("a/b/c"));
}

}  // namespace
}  // namespace kb::controller::kube
