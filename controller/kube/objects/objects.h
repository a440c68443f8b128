#pragma once
// Plain structs for the parts of the Kubernetes objects the controller reads. They are what the
// object stores hold and what the pure reconciler (controller/reconcile) consumes, so they carry no
// JSON types and no behaviour beyond tiny helpers. decode.h turns API JSON into these.
//
// Optional fields stay std::optional where "absent" means something different from a zero value
// (EndpointConditions follow the API: nil ready means ready). BalancerCluster spec fields are all
// optional so the reconciler can tell "not set" (use the default or the Service annotation) from
// an explicit value. Durations stay raw text ("5s", "500ms", "30") and are parsed by the
// reconciler, which reports bad values with the object and field.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::controller::kube {

inline constexpr const char* kBalancerClusterApiGroup = "kubebalancer.io";
inline constexpr const char* kBalancerClusterVersion = "v1alpha1";
inline constexpr const char* kBalancerClusterKind = "BalancerCluster";
inline constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";
inline constexpr const char* kDefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

struct ObjectMeta {
  std::string name;
  std::string namespace_name;  // "" for cluster-scoped objects (IngressClass)
  std::string uid;
  int64_t generation = 0;
  std::string resource_version;
  std::string creation_timestamp;  // RFC 3339 as sent by the API server
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  // "namespace/name" (or "name" when cluster-scoped): the store key and sort key.
  std::string key() const { return namespace_name.empty() ? name : namespace_name + "/" + name; }
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// An int-or-string (Service targetPort, BalancerCluster spec.service.port).
struct IntOrString {
  bool is_int = true;
  int64_t int_value = 0;
  std::string str_value;
  bool empty() const { return is_int ? int_value == 0 : str_value.empty(); }
  std::string to_string() const { return is_int ? std::to_string(int_value) : str_value; }
  friend bool operator==(const IntOrString&, const IntOrString&) = default;
};

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  std::string last_transition_time;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// ---- networking.k8s.io/v1 Ingress ----------------------------------------------------------

struct ServiceBackendPort {
  int32_t number = 0;  // 0 = unset
  std::string name;
  friend bool operator==(const ServiceBackendPort&, const ServiceBackendPort&) = default;
};

struct IngressServiceBackend {
  std::string name;
  ServiceBackendPort port;
  friend bool operator==(const IngressServiceBackend&, const IngressServiceBackend&) = default;
};

struct TypedLocalObjectReference {
  std::string api_group;
  std::string kind;
  std::string name;
  friend bool operator==(const TypedLocalObjectReference&, const TypedLocalObjectReference&) = default;
};

// Exactly one of service and resource is set in a valid Ingress.
struct IngressBackend {
  std::optional<IngressServiceBackend> service;
  std::optional<TypedLocalObjectReference> resource;
  friend bool operator==(const IngressBackend&, const IngressBackend&) = default;
};

struct HttpIngressPath {
  std::string path;       // "" means "/" for Prefix
  std::string path_type;  // "Exact", "Prefix", "ImplementationSpecific" ("" when absent)
  IngressBackend backend;
  friend bool operator==(const HttpIngressPath&, const HttpIngressPath&) = default;
};

struct IngressRule {
  std::string host;  // "" = any host; "*.example.com" one-label wildcard
  bool has_http = false;
  std::vector<HttpIngressPath> paths;
  friend bool operator==(const IngressRule&, const IngressRule&) = default;
};

struct IngressTls {
  std::vector<std::string> hosts;
  std::string secret_name;
  friend bool operator==(const IngressTls&, const IngressTls&) = default;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  friend bool operator==(const LoadBalancerIngress&, const LoadBalancerIngress&) = default;
};

struct IngressStatus {
  std::vector<LoadBalancerIngress> load_balancer;  // status.loadBalancer.ingress
  friend bool operator==(const IngressStatus&, const IngressStatus&) = default;
};

struct Ingress {
  ObjectMeta metadata;
  std::optional<std::string> ingress_class_name;
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  IngressStatus status;
  friend bool operator==(const Ingress&, const Ingress&) = default;
};

// ---- networking.k8s.io/v1 IngressClass -----------------------------------------------------

struct IngressClass {
  ObjectMeta metadata;
  std::string controller;  // spec.controller
  bool is_default() const {
    auto it = metadata.annotations.find(kDefaultClassAnnotation);
    return it != metadata.annotations.end() && it->second == "true";
  }
  friend bool operator==(const IngressClass&, const IngressClass&) = default;
};

// ---- v1 Service ----------------------------------------------------------------------------

struct ServicePort {
  std::string name;  // "" allowed when the Service has a single port
  std::string protocol = "TCP";
  int32_t port = 0;
  IntOrString target_port;  // number or container port name; empty = same as port
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

struct Service {
  ObjectMeta metadata;
  std::string type;  // "ClusterIP", ...
  std::vector<ServicePort> ports;
  std::map<std::string, std::string> selector;
  friend bool operator==(const Service&, const Service&) = default;
};

// ---- v1 Secret of type kubernetes.io/tls (only those named by spec.tls are kept) ------------

inline constexpr const char* kTlsSecretType = "kubernetes.io/tls";

struct Secret {
  ObjectMeta metadata;
  std::string type;         // "kubernetes.io/tls"
  std::string certificate;  // data["tls.crt"], base64-decoded: PEM chain, leaf first
  std::string key;          // data["tls.key"], base64-decoded: PEM private key. Never logged.
  // The check made once per resourceVersion when the Secret is decoded (controller/kube/tls_check.h):
  // empty tls_error when both parse and the key matches the leaf; else the field at fault
  // ("data[tls.crt]", "data[tls.key]") and why. The validity window of the leaf, in Unix seconds,
  // is compared with the clock at each reconcile.
  std::string tls_error_field;
  std::string tls_error;
  int64_t not_before = 0;
  int64_t not_after = 0;
  friend bool operator==(const Secret&, const Secret&) = default;
};

// ---- discovery.k8s.io/v1 EndpointSlice -----------------------------------------------------

struct EndpointPort {
  std::string name;  // matches the Service port's name ("" for an unnamed single port)
  std::optional<int32_t> port;  // the resolved target port; absent = "all ports"
  std::string protocol = "TCP";
  friend bool operator==(const EndpointPort&, const EndpointPort&) = default;
};

// API semantics: ready and serving nil mean true; terminating nil means false.
struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  bool is_ready() const { return ready.value_or(true); }
  bool is_serving() const { return serving.value_or(is_ready()); }
  bool is_terminating() const { return terminating.value_or(false); }
  friend bool operator==(const EndpointConditions&, const EndpointConditions&) = default;
};

struct ObjectReference {
  std::string kind;  // "Pod"
  std::string namespace_name;
  std::string name;
  std::string uid;
  friend bool operator==(const ObjectReference&, const ObjectReference&) = default;
};

struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::optional<ObjectReference> target_ref;
  std::string node_name;
  std::string hostname;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct EndpointSlice {
  ObjectMeta metadata;
  std::string address_type;  // "IPv4", "IPv6", "FQDN"
  std::vector<EndpointPort> ports;
  std::vector<Endpoint> endpoints;
  std::string service_name() const {
    auto it = metadata.labels.find(kServiceNameLabel);
    return it == metadata.labels.end() ? std::string() : it->second;
  }
  friend bool operator==(const EndpointSlice&, const EndpointSlice&) = default;
};

// ---- kubebalancer.io/v1alpha1 BalancerCluster (docs/balancercluster.md) --------------------

struct BcServiceRef {
  std::string name;
  IntOrString port;  // Service port number or name; empty = the Service's only port
  friend bool operator==(const BcServiceRef&, const BcServiceRef&) = default;
};

struct BcMember {
  std::string url;
  std::string name;
  std::string route;
  std::string redirect;
  std::optional<double> load_factor;
  std::optional<int64_t> lb_set;
  std::optional<std::string> status;  // flags text; a list in JSON is folded into "+H+D" form
  std::optional<std::string> retry;
  std::optional<std::string> timeout;
  std::optional<std::string> connection_timeout;
  friend bool operator==(const BcMember&, const BcMember&) = default;
};

struct BcRouteCookie {
  std::string name;
  std::optional<std::string> path;
  std::optional<bool> http_only;
  std::optional<bool> secure;
  std::optional<std::string> same_site;
  std::optional<int64_t> max_age;
  friend bool operator==(const BcRouteCookie&, const BcRouteCookie&) = default;
};

struct BcHealthCheck {
  std::optional<std::string> method;
  std::optional<std::string> uri;
  std::optional<std::string> interval;
  std::optional<int64_t> passes;
  std::optional<int64_t> fails;
  std::optional<std::string> expect_status;  // "200-399" or "200"
  std::optional<std::string> expect_body;
  friend bool operator==(const BcHealthCheck&, const BcHealthCheck&) = default;
};

struct BcHeartbeat {
  std::optional<std::string> path;
  std::optional<std::string> interval;
  std::optional<std::string> max_age;
  friend bool operator==(const BcHeartbeat&, const BcHeartbeat&) = default;
};

// Selects members by pod name (or static member name) or by address; sets per-member values.
struct BcMemberOverride {
  std::string pod_name;
  std::string address;
  std::optional<std::string> route;
  std::optional<double> load_factor;
  std::optional<int64_t> lb_set;
  std::optional<std::string> status;
  friend bool operator==(const BcMemberOverride&, const BcMemberOverride&) = default;
};

struct BalancerClusterSpec {
  std::optional<BcServiceRef> service;
  std::optional<std::vector<BcMember>> members;  // set (maybe empty) when spec.members is present
  std::optional<std::string> lb_method;
  std::optional<std::string> sticky_session;
  std::optional<std::string> sticky_session_sep;
  std::optional<bool> scolon_path_delim;
  std::optional<bool> no_failover;
  std::optional<int64_t> max_attempts;
  std::optional<std::string> timeout;
  std::optional<std::vector<int64_t>> fail_on_status;
  std::optional<bool> fail_on_timeout;
  std::optional<bool> force_recovery;
  std::optional<std::string> proxy_timeout;
  std::optional<std::string> connection_timeout;
  std::optional<bool> preserve_host;
  std::optional<BcRouteCookie> route_cookie;
  std::optional<BcHealthCheck> health_check;
  std::optional<BcHeartbeat> heartbeat;
  std::vector<BcMemberOverride> member_overrides;
  std::optional<std::string> route_from;  // "podName" (default), "address", "hostname", "annotation"
  friend bool operator==(const BalancerClusterSpec&, const BalancerClusterSpec&) = default;
};

struct BcMemberStatus {
  std::string name;
  std::string route;
  std::string address;  // the member URL
  std::string status;   // flags, "+N" for a draining member
  bool healthy = false;
  int64_t elected = 0;
  int64_t busy = 0;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  std::string last_health_check;
  friend bool operator==(const BcMemberStatus&, const BcMemberStatus&) = default;
};

struct BalancerClusterStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::vector<BcMemberStatus> members;
  int64_t healthy_members = 0;
  int64_t total_members = 0;
  std::string health_summary;  // "2/3", shown by kubectl get
  friend bool operator==(const BalancerClusterStatus&, const BalancerClusterStatus&) = default;
};

struct BalancerCluster {
  ObjectMeta metadata;
  BalancerClusterSpec spec;
  BalancerClusterStatus status;
  friend bool operator==(const BalancerCluster&, const BalancerCluster&) = default;
};

}  // namespace kb::controller::kube
