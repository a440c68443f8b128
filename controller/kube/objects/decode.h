#pragma once
// API JSON -> the plain structs of objects.h. Decoding is tolerant: a missing or null field keeps
// its default; a field of the wrong type (or an out-of-range number) is skipped and reported with
// the object and the field path, e.g.
//   Ingress default/web: spec.rules[0].http.paths[1].backend.service.port.number: expected an integer
// so one bad field never loses the whole object. Only an object that is not a JSON object or has
// no metadata.name fails (returns false): the store cannot key it.
#include <cpprest/json.h>

#include <string>
#include <vector>

#include "controller/kube/objects/gateway.h"
#include "controller/kube/objects/objects.h"

namespace kb::controller::kube {

struct DecodeError {
  std::string object;  // "Ingress default/web"
  std::string field;   // "spec.rules[0].host"
  std::string message;
  std::string to_string() const;  // "Ingress default/web: spec.rules[0].host: expected a string"
};

bool decode_object_meta(const web::json::value& json, ObjectMeta& out, std::vector<DecodeError>& errors);
bool decode_ingress(const web::json::value& json, Ingress& out, std::vector<DecodeError>& errors);
bool decode_ingress_class(const web::json::value& json, IngressClass& out, std::vector<DecodeError>& errors);
bool decode_service(const web::json::value& json, Service& out, std::vector<DecodeError>& errors);
bool decode_endpoint_slice(const web::json::value& json, EndpointSlice& out, std::vector<DecodeError>& errors);
bool decode_balancer_cluster(const web::json::value& json, BalancerCluster& out, std::vector<DecodeError>& errors);
// type and data["tls.crt"]/data["tls.key"] (base64); the TLS check fields are left empty.
bool decode_secret(const web::json::value& json, Secret& out, std::vector<DecodeError>& errors);

// Gateway API (gateway.h); CRD defaults the object lacks are applied.
bool decode_gateway_class(const web::json::value& json, GatewayClass& out, std::vector<DecodeError>& errors);
bool decode_gateway(const web::json::value& json, Gateway& out, std::vector<DecodeError>& errors);
bool decode_http_route(const web::json::value& json, HttpRoute& out, std::vector<DecodeError>& errors);
bool decode_reference_grant(const web::json::value& json, ReferenceGrant& out, std::vector<DecodeError>& errors);
web::json::value encode_gateway_class_status(const GatewayClassStatus& status);
web::json::value encode_gateway_status(const GatewayStatus& status);
web::json::value encode_route_parent_status(const GwRouteParentStatus& status);

// The status half of a BalancerCluster as JSON, for the status writer (camelCase, as in the CRD).
web::json::value encode_balancer_cluster_status(const BalancerClusterStatus& status);
// The status of an Ingress as JSON ({"loadBalancer":{"ingress":[...]}}).
web::json::value encode_ingress_status(const IngressStatus& status);

}  // namespace kb::controller::kube
