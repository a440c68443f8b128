#pragma once
// Gateway API (gateway.networking.k8s.io/v1) objects, the parts the reconciler reads
// (docs/gateway-api.md). Plain structs like objects.h; decode.h fills them from API JSON. Defaults
// the API server's CRD schema would fill are applied by the decoder, so objects created without
// them (tests, older CRDs) mean the same.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/kube/objects/objects.h"

namespace kb::controller::kube {

inline constexpr const char* kGatewayGroup = "gateway.networking.k8s.io";
inline constexpr const char* kGatewayVersion = "v1";
inline constexpr const char* kGatewayApiVersion = "gateway.networking.k8s.io/v1";
inline constexpr const char* kGatewayControllerName = "kubebalancer.io/gateway-controller";

struct GatewayClass {
  ObjectMeta metadata;
  std::string controller_name;  // spec.controllerName
  friend bool operator==(const GatewayClass&, const GatewayClass&) = default;
};

// A reference with an optional namespace (certificateRefs, backendRefs, parentRefs).
struct GwRef {
  std::string group;           // "" = core
  std::string kind;
  std::string name;
  std::optional<std::string> namespace_name;  // unset = the referring object's namespace
  friend bool operator==(const GwRef&, const GwRef&) = default;
};

struct GwListener {
  std::string name;
  std::optional<std::string> hostname;
  int32_t port = 0;
  std::string protocol;                 // "HTTP", "HTTPS", ...
  std::string tls_mode = "Terminate";   // tls.mode
  std::vector<GwRef> certificate_refs;  // tls.certificateRefs (kind Secret by default)
  std::string allowed_from = "Same";    // allowedRoutes.namespaces.from: Same, All, Selector
  std::vector<std::pair<std::string, std::string>> allowed_kinds;  // (group, kind); empty = by protocol
  friend bool operator==(const GwListener&, const GwListener&) = default;
};

struct Gateway {
  ObjectMeta metadata;
  std::string gateway_class_name;
  std::vector<GwListener> listeners;
  friend bool operator==(const Gateway&, const Gateway&) = default;
};

struct GwParentRef {
  std::string group = kGatewayGroup;
  std::string kind = "Gateway";
  std::string name;
  std::optional<std::string> namespace_name;
  std::optional<std::string> section_name;
  std::optional<int32_t> port;
  friend bool operator==(const GwParentRef&, const GwParentRef&) = default;
};

struct GwValueMatch {
  std::string type = "Exact";  // Exact, RegularExpression
  std::string name;
  std::string value;
  friend bool operator==(const GwValueMatch&, const GwValueMatch&) = default;
};

struct GwRouteMatch {
  std::string path_type = "PathPrefix";  // Exact, PathPrefix, RegularExpression
  std::string path_value = "/";
  std::vector<GwValueMatch> headers;
  std::vector<GwValueMatch> query_params;
  std::string method;  // "" = any
  friend bool operator==(const GwRouteMatch&, const GwRouteMatch&) = default;
};

struct GwHeaderFilter {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  friend bool operator==(const GwHeaderFilter&, const GwHeaderFilter&) = default;
};

struct GwPathModifier {
  std::string type;  // ReplaceFullPath, ReplacePrefixMatch
  std::string replace_full_path;
  std::string replace_prefix_match;
  friend bool operator==(const GwPathModifier&, const GwPathModifier&) = default;
};

struct GwFilter {
  std::string type;  // RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, ...
  GwHeaderFilter headers;  // for the two header modifiers
  // RequestRedirect
  std::string scheme;
  std::string hostname;  // also URLRewrite
  std::optional<int32_t> port;
  int32_t status_code = 302;
  std::optional<GwPathModifier> path;  // also URLRewrite
  friend bool operator==(const GwFilter&, const GwFilter&) = default;
};

struct GwBackendRef {
  GwRef ref;  // group "" + kind "Service" by default
  std::optional<int32_t> port;
  int32_t weight = 1;
  friend bool operator==(const GwBackendRef&, const GwBackendRef&) = default;
};

// rules[].sessionPersistence (GEP-1619), both API shapes folded into one: the released one
// (sessionName, absoluteTimeout, cookieConfig.lifetimeType) and the newer one (cookie{name,
// lifetimeType, path}, header{name}).
struct GwSessionPersistence {
  std::string type = "Cookie";     // Cookie, Header
  std::string name;                // sessionName / cookie.name / header.name; "" = ours
  std::string path;                // cookie path; "" = "/"
  std::string lifetime = "Session";  // Session, Permanent
  std::string absolute_timeout;    // Gateway API duration ("1h", "30m", "1h30m"); "" = none
  friend bool operator==(const GwSessionPersistence&, const GwSessionPersistence&) = default;
};

struct GwRouteRule {
  std::vector<GwRouteMatch> matches;  // empty = one match: PathPrefix "/"
  std::vector<GwFilter> filters;
  std::vector<GwBackendRef> backend_refs;
  std::optional<GwSessionPersistence> session;
  friend bool operator==(const GwRouteRule&, const GwRouteRule&) = default;
};

struct HttpRoute {
  ObjectMeta metadata;
  std::vector<GwParentRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<GwRouteRule> rules;
  friend bool operator==(const HttpRoute&, const HttpRoute&) = default;
};

// gateway.networking.k8s.io/v1beta1 ReferenceGrant: lets objects of `from` refer to `to` in the
// grant's namespace.
struct ReferenceGrant {
  ObjectMeta metadata;
  struct From {
    std::string group, kind, namespace_name;
    friend bool operator==(const From&, const From&) = default;
  };
  struct To {
    std::string group, kind;
    std::optional<std::string> name;
    friend bool operator==(const To&, const To&) = default;
  };
  std::vector<From> from;
  std::vector<To> to;
  friend bool operator==(const ReferenceGrant&, const ReferenceGrant&) = default;
};

}  // namespace kb::controller::kube

namespace kb::controller::kube {

// ---- status (written by the leader; docs/gateway-api.md "Status") ----

struct GatewayClassStatus {
  std::vector<Condition> conditions;
  std::vector<std::string> supported_features;  // status.supportedFeatures[].name, sorted
  friend bool operator==(const GatewayClassStatus&, const GatewayClassStatus&) = default;
};

struct GwListenerStatus {
  std::string name;
  std::vector<std::pair<std::string, std::string>> supported_kinds;  // (group, kind)
  int32_t attached_routes = 0;
  std::vector<Condition> conditions;
  friend bool operator==(const GwListenerStatus&, const GwListenerStatus&) = default;
};

struct GatewayStatus {
  std::vector<std::pair<std::string, std::string>> addresses;  // (type IPAddress|Hostname, value)
  std::vector<Condition> conditions;
  std::vector<GwListenerStatus> listeners;
  friend bool operator==(const GatewayStatus&, const GatewayStatus&) = default;
};

struct GwRouteParentStatus {
  GwParentRef parent_ref;
  std::string controller_name = kGatewayControllerName;
  std::vector<Condition> conditions;
  friend bool operator==(const GwRouteParentStatus&, const GwRouteParentStatus&) = default;
};

}  // namespace kb::controller::kube
