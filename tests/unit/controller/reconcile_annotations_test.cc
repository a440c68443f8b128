// Service annotations kubebalancer.io/<key> -> balancer parameters, and their errors.
#include <gtest/gtest.h>

#include "controller/reconcile/balancer_settings.h"
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/values.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;
using std::chrono::milliseconds;

struct Applied {
  cfg::Balancer balancer;
  MemberDefaults defaults;
  FieldErrors errors;
};

Applied apply(std::map<std::string, std::string> annotations) {
  Applied a;
  apply_annotations(annotations, a.balancer, a.defaults, a.errors);
  return a;
}

TEST(ReconcileAnnotations, EveryBalancerParameter) {
  const Applied a = apply({
      {"kubebalancer.io/lbmethod", "bybusyness"},
      {"kubebalancer.io/stickysession", "JSESSIONID|jsessionid"},
      {"kubebalancer.io/stickysessionsep", "Off"},
      {"kubebalancer.io/scolonpathdelim", "On"},
      {"kubebalancer.io/nofailover", "true"},
      {"kubebalancer.io/maxattempts", "3"},
      {"kubebalancer.io/timeout", "5s"},
      {"kubebalancer.io/failonstatus", "500, 503"},
      {"kubebalancer.io/failontimeout", "on"},
      {"kubebalancer.io/forcerecovery", "off"},
      {"kubebalancer.io/proxytimeout", "30"},
      {"kubebalancer.io/connectiontimeout", "500ms"},
      {"kubebalancer.io/preservehost", "yes"},
      {"kubebalancer.io/routecookie", "name=ROUTEID;path=/app;secure;samesite=lax;maxage=3600"},
      {"kubebalancer.io/hcmethod", "GET"},
      {"kubebalancer.io/hcuri", "/healthz"},
      {"kubebalancer.io/hcinterval", "10s"},
      {"kubebalancer.io/hcpasses", "2"},
      {"kubebalancer.io/hcfails", "3"},
      {"kubebalancer.io/hcexpect-status", "200-299"},
      {"kubebalancer.io/hcexpect-body", "OK"},
      {"kubebalancer.io/hbpath", "/hb"},
      {"kubebalancer.io/hbinterval", "2s"},
      {"kubebalancer.io/hbmaxage", "20s"},
      {"kubebalancer.io/loadfactor", "2.5"},
      {"kubebalancer.io/lbset", "1"},
      {"kubebalancer.io/retry", "10"},
      {"kubebalancer.io/routefrom", "hostname"},
      {"other.io/ignored", "whatever"},
  });
  EXPECT_TRUE(a.errors.empty()) << a.errors[0].to_string();
  const cfg::Balancer& b = a.balancer;
  EXPECT_EQ(b.lbmethod, cfg::LbMethod::kByBusyness);
  EXPECT_EQ(b.sticky.cookie, "JSESSIONID");
  EXPECT_EQ(b.sticky.url_param, "jsessionid");
  EXPECT_EQ(b.sticky.separator, std::nullopt);
  EXPECT_TRUE(b.sticky.scolon_path_delim);
  EXPECT_TRUE(b.nofailover);
  EXPECT_EQ(b.maxattempts, 3);
  EXPECT_EQ(b.timeout, milliseconds(5000));
  EXPECT_EQ(b.failonstatus, (std::vector<int>{500, 503}));
  EXPECT_TRUE(b.failontimeout);
  EXPECT_FALSE(b.forcerecovery);
  EXPECT_EQ(b.member_timeout, milliseconds(30000));
  EXPECT_EQ(b.connection_timeout, milliseconds(500));
  EXPECT_TRUE(b.preserve_host);
  EXPECT_EQ(b.sticky.route_cookie.name, "ROUTEID");
  EXPECT_EQ(b.sticky.route_cookie.path, "/app");
  EXPECT_TRUE(b.sticky.route_cookie.secure);
  EXPECT_TRUE(b.sticky.route_cookie.http_only);
  EXPECT_EQ(b.sticky.route_cookie.same_site, "Lax");
  EXPECT_EQ(b.sticky.route_cookie.max_age, 3600);
  EXPECT_EQ(b.health_check.method, cfg::HcMethod::kGet);
  EXPECT_EQ(b.health_check.uri, "/healthz");
  EXPECT_EQ(b.health_check.interval, milliseconds(10000));
  EXPECT_EQ(b.health_check.passes, 2);
  EXPECT_EQ(b.health_check.fails, 3);
  EXPECT_EQ(b.health_check.expect_status_min, 200);
  EXPECT_EQ(b.health_check.expect_status_max, 299);
  EXPECT_EQ(b.health_check.expect_body, "OK");
  EXPECT_EQ(b.heartbeat.path, "/hb");
  EXPECT_EQ(b.heartbeat.interval, milliseconds(2000));
  EXPECT_EQ(b.heartbeat.max_age, milliseconds(20000));
  EXPECT_DOUBLE_EQ(a.defaults.loadfactor, 2.5);
  EXPECT_EQ(a.defaults.lbset, 1);
  EXPECT_EQ(a.defaults.retry, milliseconds(10000));
  EXPECT_EQ(a.defaults.route_from, RouteFrom::kHostname);
}

TEST(ReconcileAnnotations, ShortRouteCookieForm) {
  const Applied a = apply({{"kubebalancer.io/routecookie", "ROUTEID"}});
  EXPECT_TRUE(a.errors.empty());
  EXPECT_EQ(a.balancer.sticky.route_cookie.name, "ROUTEID");
  EXPECT_EQ(a.balancer.sticky.route_cookie.path, "/");
}

TEST(ReconcileAnnotations, BadValuesAreReportedAndKeepTheDefault) {
  const Applied a = apply({
      {"kubebalancer.io/lbmethod", "roundrobin"},
      {"kubebalancer.io/maxattempts", "-1"},
      {"kubebalancer.io/timeout", "soon"},
      {"kubebalancer.io/failonstatus", "500,abc"},
      {"kubebalancer.io/hcinterval", "50ms"},
      {"kubebalancer.io/hcexpect-status", "399-200"},
      {"kubebalancer.io/loadfactor", "101"},
      {"kubebalancer.io/stickysessionsep", "::"},
      {"kubebalancer.io/stickysesion", "JSESSIONID"},  // typo
      {"kubebalancer.io/routecookie", "path=/"},
      {"kubebalancer.io/nofailover", "maybe"},
  });
  EXPECT_EQ(a.balancer, (cfg::Balancer{}));
  EXPECT_DOUBLE_EQ(a.defaults.loadfactor, 1);
  ASSERT_EQ(a.errors.size(), 11u);
  auto has = [&](const std::string& field, const std::string& needle) {
    for (const auto& e : a.errors)
      if (e.field == "metadata.annotations[kubebalancer.io/" + field + "]" && e.message.find(needle) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("lbmethod", "unknown lbmethod 'roundrobin'"));
  EXPECT_TRUE(has("maxattempts", "between 0 and"));
  EXPECT_TRUE(has("timeout", "duration"));
  EXPECT_TRUE(has("failonstatus", "integer"));
  EXPECT_TRUE(has("hcinterval", "at least 100ms"));
  EXPECT_TRUE(has("hcexpect-status", "range"));
  EXPECT_TRUE(has("loadfactor", "between 1 and 100"));
  EXPECT_TRUE(has("stickysessionsep", "single character"));
  EXPECT_TRUE(has("stickysesion", "unknown kube-balancer annotation"));
  EXPECT_TRUE(has("routecookie", "cookie name"));
  EXPECT_TRUE(has("nofailover", "true or false"));
}

TEST(ReconcileAnnotations, BadAnnotationGivesServiceEventButBalancerStillRendered) {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  kube::Service svc = service("shop", "web");
  svc.metadata.annotations["kubebalancer.io/lbmethod"] = "fastest";
  svc.metadata.annotations["kubebalancer.io/stickysession"] = "JSESSIONID";
  s.services.push_back(svc);
  s.endpoint_slices.push_back(slice("shop", "web-1", "web", {endpoint("10.0.0.7", "web-a")}));
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.balancers.size(), 1u);
  EXPECT_EQ(out.table.balancers[0].lbmethod, cfg::LbMethod::kByRequests);
  EXPECT_EQ(out.table.balancers[0].sticky.cookie, "JSESSIONID");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].object.kind, "Service");
  EXPECT_EQ(out.events[0].object.api_version, "v1");
  EXPECT_EQ(out.events[0].object.name, "web");
  EXPECT_EQ(out.events[0].type, "Warning");
  EXPECT_EQ(out.events[0].reason, "InvalidSpec");
  EXPECT_EQ(out.events[0].message,
            "metadata.annotations[kubebalancer.io/lbmethod]: unknown lbmethod 'fastest' (byrequests, bytraffic, "
            "bybusyness, heartbeat)");
}

TEST(ReconcileAnnotations, LoadfactorAndHealthCheckReachEveryMember) {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  kube::Service svc = service("shop", "web");
  svc.metadata.annotations["kubebalancer.io/loadfactor"] = "5";
  svc.metadata.annotations["kubebalancer.io/hcmethod"] = "HEAD";
  svc.metadata.annotations["kubebalancer.io/hcuri"] = "/ping";
  s.services.push_back(svc);
  s.endpoint_slices.push_back(slice("shop", "web-1", "web", {endpoint("10.0.0.7", "web-a"), endpoint("10.0.0.8", "web-b")}));
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.balancers.size(), 1u);
  for (const auto& m : out.table.balancers[0].members) {
    EXPECT_DOUBLE_EQ(m.loadfactor, 5);
    EXPECT_EQ(m.health_check.method, cfg::HcMethod::kHead);
    EXPECT_EQ(m.health_check.uri, "/ping");
  }
}

TEST(ReconcileValues, Parsers) {
  std::string error;
  bool b = false;
  EXPECT_TRUE(parse_bool("Off", b, error));
  EXPECT_FALSE(b);
  int lo = 0;
  int hi = 0;
  EXPECT_TRUE(parse_status_range("200", lo, hi, error));
  EXPECT_EQ(lo, 200);
  EXPECT_EQ(hi, 200);
  EXPECT_FALSE(parse_status_range("200-", lo, hi, error));
  std::vector<int> codes;
  EXPECT_TRUE(parse_status_list("500 502,503", codes, error));
  EXPECT_EQ(codes, (std::vector<int>{500, 502, 503}));
  EXPECT_FALSE(parse_status_list("600", codes, error));
  EXPECT_EQ(pod_hostname("web-0"), "web-0");
  EXPECT_EQ(pod_hostname(std::string(63, 'x') + "yz"), std::string(63, 'x'));
  EXPECT_EQ(pod_hostname(std::string(61, 'x') + ".-abc"), std::string(61, 'x'));
  EXPECT_TRUE(valid_route("node1", error));
  EXPECT_FALSE(valid_route("a;b", error));
  EXPECT_FALSE(valid_route(std::string(64, 'r'), error));
  int64_t n = 0;
  EXPECT_FALSE(parse_int("12x", 0, 100, n, error));
  double d = 0;
  EXPECT_FALSE(parse_number("nan", 1, 100, d, error));
}

}  // namespace
}  // namespace kb::controller::reconcile
