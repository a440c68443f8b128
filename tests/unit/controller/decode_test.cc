// API JSON -> objects.h structs, with real-looking objects as the API server sends them.
// gtest first: cpprestsdk defines a U() macro that breaks gtest's templates if it comes earlier.
#include <gtest/gtest.h>

#include "controller/kube/objects/decode.h"

namespace kb::controller::kube {
namespace {

web::json::value parse(const std::string& text) { return web::json::value::parse(text); }

bool has_error(const std::vector<DecodeError>& errors, const std::string& text) {
  for (const auto& e : errors)
    if (e.to_string().find(text) != std::string::npos) return true;
  return false;
}

TEST(Decode, Ingress) {
  const auto json = parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "shop", "namespace": "default", "uid": "0b4d-11", "generation": 3,
                 "resourceVersion": "81723", "creationTimestamp": "2026-11-20T10:00:00Z",
                 "annotations": {"kubebalancer.io/stickysession": "JSESSIONID"}, "labels": {"app": "shop"}},
    "spec": {
      "ingressClassName": "kube-balancer",
      "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
      "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
      "rules": [
        {"host": "shop.example.com", "http": {"paths": [
          {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
          {"path": "/cart", "pathType": "Exact", "backend": {"resource": {"apiGroup": "kubebalancer.io",
                                                                          "kind": "BalancerCluster", "name": "cart"}}}
        ]}},
        {"host": "*.example.com"}
      ]},
    "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}, {"hostname": "lb.example.com"}]}}
  })");
  Ingress ing;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_ingress(json, ing, errors));
  EXPECT_TRUE(errors.empty()) << errors[0].to_string();
  EXPECT_EQ(ing.metadata.key(), "default/shop");
  EXPECT_EQ(ing.metadata.uid, "0b4d-11");
  EXPECT_EQ(ing.metadata.generation, 3);
  EXPECT_EQ(ing.metadata.resource_version, "81723");
  EXPECT_EQ(ing.metadata.annotations.at("kubebalancer.io/stickysession"), "JSESSIONID");
  EXPECT_EQ(ing.metadata.labels.at("app"), "shop");
  EXPECT_EQ(ing.ingress_class_name, "kube-balancer");
  ASSERT_TRUE(ing.default_backend && ing.default_backend->service);
  EXPECT_EQ(ing.default_backend->service->port.name, "http");
  ASSERT_EQ(ing.rules.size(), 2u);
  EXPECT_TRUE(ing.rules[0].has_http);
  ASSERT_EQ(ing.rules[0].paths.size(), 2u);
  EXPECT_EQ(ing.rules[0].paths[0].path_type, "Prefix");
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->name, "web");
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->port.number, 80);
  EXPECT_EQ(ing.rules[0].paths[1].backend.resource->kind, "BalancerCluster");
  EXPECT_EQ(ing.rules[1].host, "*.example.com");
  EXPECT_FALSE(ing.rules[1].has_http);
  ASSERT_EQ(ing.tls.size(), 1u);
  EXPECT_EQ(ing.tls[0].secret_name, "shop-tls");
  ASSERT_EQ(ing.status.load_balancer.size(), 2u);
  EXPECT_EQ(ing.status.load_balancer[1].hostname, "lb.example.com");
}

TEST(Decode, BadFieldsAreReportedWithObjectAndPathAndSkipped) {
  const auto json = parse(R"({
    "metadata": {"name": "shop", "namespace": "default", "annotations": {"a": 5}},
    "spec": {"ingressClassName": 7, "rules": [{"host": "x.example.com", "http": {"paths": [
      {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": "80"}}}},
      "garbage"]}}]}
  })");
  Ingress ing;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_ingress(json, ing, errors));
  EXPECT_TRUE(has_error(errors, "Ingress default/shop: spec.ingressClassName: expected a string"));
  EXPECT_TRUE(has_error(errors, "Ingress default/shop: spec.rules[0].http.paths[0].backend.service.port.number: expected an integer"));
  EXPECT_TRUE(has_error(errors, "Ingress default/shop: spec.rules[0].http.paths[1]: expected an object"));
  EXPECT_TRUE(has_error(errors, "metadata.annotations[a]: expected a string"));
  EXPECT_FALSE(ing.ingress_class_name.has_value());
  ASSERT_EQ(ing.rules[0].paths.size(), 1u);
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->name, "web");
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->port.number, 0);
}

TEST(Decode, MissingNameOrNotAnObjectFails) {
  Ingress ing;
  std::vector<DecodeError> errors;
  EXPECT_FALSE(decode_ingress(parse(R"({"metadata": {"namespace": "x"}})"), ing, errors));
  EXPECT_TRUE(has_error(errors, "metadata.name: missing"));
  errors.clear();
  EXPECT_FALSE(decode_ingress(parse("[1,2]"), ing, errors));
  EXPECT_FALSE(errors.empty());
}

TEST(Decode, MissingFieldsAreFine) {
  Service svc;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_service(parse(R"({"metadata": {"name": "web", "namespace": "shop"}})"), svc, errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(svc.ports.empty());
}

TEST(Decode, IngressClass) {
  IngressClass c;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_ingress_class(parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "metadata": {"name": "kube-balancer", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
    "spec": {"controller": "kubebalancer.io/ingress-controller"}})"), c, errors));
  EXPECT_EQ(c.metadata.key(), "kube-balancer");
  EXPECT_EQ(c.controller, "kubebalancer.io/ingress-controller");
  EXPECT_TRUE(c.is_default());
}

TEST(Decode, Service) {
  Service svc;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_service(parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {"kubebalancer.io/lbmethod": "bybusyness"}},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.12", "selector": {"app": "web"},
             "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "admin", "port": 9000, "targetPort": "admin"}]}})"), svc, errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(svc.type, "ClusterIP");
  EXPECT_EQ(svc.selector.at("app"), "web");
  ASSERT_EQ(svc.ports.size(), 2u);
  EXPECT_EQ(svc.ports[0].port, 80);
  EXPECT_TRUE(svc.ports[0].target_port.is_int);
  EXPECT_EQ(svc.ports[0].target_port.int_value, 8080);
  EXPECT_FALSE(svc.ports[1].target_port.is_int);
  EXPECT_EQ(svc.ports[1].target_port.str_value, "admin");
}

TEST(Decode, EndpointSlice) {
  EndpointSlice es;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_endpoint_slice(parse(R"({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "web-x7k2p", "namespace": "shop",
                 "labels": {"kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
    "endpoints": [
      {"addresses": ["10.244.1.7"], "conditions": {"ready": true, "serving": true, "terminating": false},
       "nodeName": "node-1", "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-7d9f-abcde", "uid": "p1"}},
      {"addresses": ["10.244.2.9"], "conditions": {"ready": false, "serving": true, "terminating": true},
       "nodeName": "node-2", "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-7d9f-fghij", "uid": "p2"}},
      {"addresses": ["10.244.2.10"], "conditions": {}}
    ]})"), es, errors));
  EXPECT_TRUE(errors.empty()) << errors[0].to_string();
  EXPECT_EQ(es.service_name(), "web");
  EXPECT_EQ(es.address_type, "IPv4");
  ASSERT_EQ(es.ports.size(), 1u);
  EXPECT_EQ(es.ports[0].port, 8080);
  ASSERT_EQ(es.endpoints.size(), 3u);
  EXPECT_TRUE(es.endpoints[0].conditions.is_ready());
  EXPECT_EQ(es.endpoints[0].target_ref->name, "web-7d9f-abcde");
  EXPECT_EQ(es.endpoints[0].node_name, "node-1");
  EXPECT_FALSE(es.endpoints[1].conditions.is_ready());
  EXPECT_TRUE(es.endpoints[1].conditions.is_serving());
  EXPECT_TRUE(es.endpoints[1].conditions.is_terminating());
  EXPECT_TRUE(es.endpoints[2].conditions.is_ready());  // nil ready means ready
  EXPECT_FALSE(es.endpoints[2].conditions.is_terminating());
  EXPECT_FALSE(es.endpoints[2].target_ref.has_value());
}

TEST(Decode, EndpointSlicePortOutOfRange) {
  EndpointSlice es;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_endpoint_slice(parse(R"({"metadata": {"name": "s", "namespace": "n"},
    "ports": [{"name": "http", "port": 70000}]})"), es, errors));
  EXPECT_TRUE(has_error(errors, "EndpointSlice n/s: ports[0].port: must be between 0 and 65535"));
  EXPECT_FALSE(es.ports[0].port.has_value());
}

TEST(Decode, BalancerClusterWithService) {
  BalancerCluster bc;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_balancer_cluster(parse(R"({"apiVersion": "kubebalancer.io/v1alpha1", "kind": "BalancerCluster",
    "metadata": {"name": "shop", "namespace": "default", "generation": 4},
    "spec": {
      "service": {"name": "web", "port": "http"},
      "lbMethod": "bybusyness", "stickySession": "JSESSIONID|jsessionid", "stickySessionSep": ".",
      "scolonPathDelim": true, "noFailover": false, "maxAttempts": 2, "timeout": 5,
      "failOnStatus": [500, 503], "failOnTimeout": true, "forceRecovery": false,
      "proxyTimeout": "60s", "connectionTimeout": "500ms", "preserveHost": true,
      "routeCookie": {"name": "ROUTEID", "path": "/", "httpOnly": true, "secure": true, "sameSite": "Lax", "maxAge": 3600},
      "healthCheck": {"method": "GET", "uri": "/healthz", "interval": "10s", "passes": 2, "fails": 3,
                      "expectStatus": "200-399", "expectBody": "ok"},
      "heartbeat": {"path": "/heartbeat", "interval": "1s", "maxAge": "10s"},
      "memberOverrides": [{"selector": {"podName": "web-0"}, "route": "node0", "loadFactor": 50, "lbSet": 1,
                           "status": ["H", "-E"]}],
      "routeFrom": "podName"},
    "status": {"observedGeneration": 3, "healthyMembers": 2, "totalMembers": 3, "healthSummary": "2/3",
               "conditions": [{"type": "Ready", "status": "True", "reason": "MembersHealthy", "message": "2 of 3",
                               "observedGeneration": 3, "lastTransitionTime": "2026-11-20T10:00:00Z"}],
               "members": [{"name": "web-0", "route": "node0", "address": "http://10.0.0.7:8080", "status": "",
                            "healthy": true, "elected": 10, "busy": 1, "bytesIn": 100, "bytesOut": 2000}]}
  })"), bc, errors));
  EXPECT_TRUE(errors.empty()) << errors[0].to_string();
  const BalancerClusterSpec& s = bc.spec;
  ASSERT_TRUE(s.service);
  EXPECT_EQ(s.service->name, "web");
  EXPECT_FALSE(s.service->port.is_int);
  EXPECT_EQ(s.service->port.str_value, "http");
  EXPECT_FALSE(s.members.has_value());
  EXPECT_EQ(s.lb_method, "bybusyness");
  EXPECT_EQ(s.sticky_session, "JSESSIONID|jsessionid");
  EXPECT_EQ(s.scolon_path_delim, true);
  EXPECT_EQ(s.max_attempts, 2);
  EXPECT_EQ(s.timeout, "5");  // integer seconds kept as text
  EXPECT_EQ(s.fail_on_status, (std::vector<int64_t>{500, 503}));
  EXPECT_EQ(s.force_recovery, false);
  EXPECT_EQ(s.connection_timeout, "500ms");
  EXPECT_EQ(s.route_cookie->same_site, "Lax");
  EXPECT_EQ(s.route_cookie->max_age, 3600);
  EXPECT_EQ(s.health_check->method, "GET");
  EXPECT_EQ(s.health_check->fails, 3);
  EXPECT_EQ(s.heartbeat->max_age, "10s");
  ASSERT_EQ(s.member_overrides.size(), 1u);
  EXPECT_EQ(s.member_overrides[0].pod_name, "web-0");
  EXPECT_EQ(s.member_overrides[0].status, "+H-E");
  EXPECT_EQ(s.member_overrides[0].load_factor, 50);
  EXPECT_EQ(s.route_from, "podName");
  EXPECT_EQ(bc.metadata.generation, 4);
  EXPECT_EQ(bc.status.observed_generation, 3);
  EXPECT_EQ(bc.status.health_summary, "2/3");
  ASSERT_EQ(bc.status.conditions.size(), 1u);
  EXPECT_EQ(bc.status.conditions[0].reason, "MembersHealthy");
  ASSERT_EQ(bc.status.members.size(), 1u);
  EXPECT_EQ(bc.status.members[0].bytes_out, 2000);
}

TEST(Decode, BalancerClusterStaticMembersAndBadFields) {
  BalancerCluster bc;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_balancer_cluster(parse(R"({"metadata": {"name": "legacy", "namespace": "ops"},
    "spec": {"members": [
      {"url": "http://192.0.2.1:8080", "name": "tc1", "route": "node1", "loadFactor": 2.5, "lbSet": 0,
       "status": "+H", "retry": 30, "timeout": "5s", "connectionTimeout": "1s"},
      {"url": "http://192.0.2.2:8080", "loadFactor": "heavy"}],
     "timeout": true, "failOnStatus": [503, 42]}})"), bc, errors));
  ASSERT_TRUE(bc.spec.members.has_value());
  ASSERT_EQ(bc.spec.members->size(), 2u);
  EXPECT_EQ((*bc.spec.members)[0].load_factor, 2.5);
  EXPECT_EQ((*bc.spec.members)[0].retry, "30");
  EXPECT_EQ((*bc.spec.members)[0].status, "+H");
  EXPECT_FALSE((*bc.spec.members)[1].load_factor.has_value());
  EXPECT_TRUE(has_error(errors, "BalancerCluster ops/legacy: spec.members[1].loadFactor: expected a number"));
  EXPECT_TRUE(has_error(errors, "spec.timeout: expected a duration"));
  EXPECT_TRUE(has_error(errors, "spec.failOnStatus[1]: must be between 100 and 599"));
  EXPECT_EQ(bc.spec.fail_on_status, (std::vector<int64_t>{503}));
}

TEST(Decode, EncodeStatusRoundTrips) {
  BalancerClusterStatus st;
  st.observed_generation = 5;
  st.conditions.push_back({"Ready", "True", "MembersHealthy", "2/2 healthy", 5, "2026-11-20T10:00:00Z"});
  st.members.push_back({"web-0", "web-0", "http://10.0.0.7:8080", "+N", true, 3, 1, 10, 20, "2026-11-20T10:00:01Z"});
  st.healthy_members = 2;
  st.total_members = 2;
  st.health_summary = "2/2";
  web::json::value doc = web::json::value::object();
  doc["metadata"] = parse(R"({"name": "x", "namespace": "y"})");
  doc["status"] = encode_balancer_cluster_status(st);
  BalancerCluster bc;
  std::vector<DecodeError> errors;
  ASSERT_TRUE(decode_balancer_cluster(doc, bc, errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(bc.status, st);

  IngressStatus is{{{"192.0.2.1", ""}, {"", "lb.example.com"}}};
  EXPECT_EQ(encode_ingress_status(is).serialize(),
            R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"hostname":"lb.example.com"}]}})");
}

}  // namespace
}  // namespace kb::controller::kube
