#include "controller/kube/typed.h"

#include <cpprest/json.h>

#include "controller/kube/objects/decode.h"
#include "controller/kube/tls_check.h"

namespace kb::controller::kube {
namespace json = web::json;

namespace {

template <typename T, typename Decoder>
bool decode_with(const RawObject& raw, T& out, std::vector<std::string>& errors, Decoder decoder) {
  json::value value;
  try {
    value = json::value::parse(raw.json);
  } catch (const std::exception& e) {
    errors.push_back(raw.meta.key() + ": undecodable JSON: " + e.what());
    return false;
  }
  std::vector<DecodeError> decode_errors;
  const bool ok = decoder(value, out, decode_errors);
  for (const auto& e : decode_errors) errors.push_back(e.to_string());
  return ok;
}

std::string str(const json::value& object, const char* key) {
  if (!object.is_object() || !object.has_string_field(key)) return {};
  return object.at(key).as_string();
}

}  // namespace

bool decode_typed(const RawObject& raw, Ingress& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_ingress);
}
bool decode_typed(const RawObject& raw, IngressClass& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_ingress_class);
}
bool decode_typed(const RawObject& raw, Service& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_service);
}
bool decode_typed(const RawObject& raw, EndpointSlice& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_endpoint_slice);
}
bool decode_typed(const RawObject& raw, BalancerCluster& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_balancer_cluster);
}

bool decode_typed(const RawObject& raw, Secret& out, std::vector<std::string>& errors) {
  if (!decode_with(raw, out, errors, decode_secret)) return false;
  check_tls_secret(out);
  return true;
}

bool decode_typed(const RawObject& raw, GatewayClass& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_gateway_class);
}
bool decode_typed(const RawObject& raw, Gateway& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_gateway);
}
bool decode_typed(const RawObject& raw, HttpRoute& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_http_route);
}
bool decode_typed(const RawObject& raw, ReferenceGrant& out, std::vector<std::string>& errors) {
  return decode_with(raw, out, errors, decode_reference_grant);
}

std::string balancer_cluster_status_patch(const BalancerClusterStatus& status) {
  json::value patch = json::value::object();
  patch["status"] = encode_balancer_cluster_status(status);
  return patch.serialize();
}

std::string ingress_status_patch(const IngressStatus& status) {
  json::value patch = json::value::object();
  patch["status"] = encode_ingress_status(status);
  return patch.serialize();
}

LeaseRecord decode_lease(const RawObject& raw) {
  LeaseRecord record;
  json::value value;
  try {
    value = json::value::parse(raw.json);
  } catch (const std::exception& e) {
    throw ApiError(0, "", std::string("undecodable Lease: ") + e.what());
  }
  if (!value.is_object() || !value.has_object_field("spec")) return record;
  const auto& spec = value.at("spec");
  record.holder_identity = str(spec, "holderIdentity");
  record.acquire_time = str(spec, "acquireTime");
  record.renew_time = str(spec, "renewTime");
  if (spec.has_number_field("leaseDurationSeconds")) {
    record.lease_duration_seconds = spec.at("leaseDurationSeconds").as_number().to_int64();
  }
  if (spec.has_number_field("leaseTransitions")) {
    record.lease_transitions = spec.at("leaseTransitions").as_number().to_int64();
  }
  return record;
}

std::string encode_lease(const std::string& ns, const std::string& name,
                         const std::string& resource_version, const LeaseRecord& record) {
  json::value meta = json::value::object();
  meta["name"] = json::value::string(name);
  meta["namespace"] = json::value::string(ns);
  if (!resource_version.empty()) meta["resourceVersion"] = json::value::string(resource_version);
  json::value spec = json::value::object();
  // holderIdentity null releases the lease (client-go writes an empty record on release).
  spec["holderIdentity"] = record.holder_identity.empty() ? json::value::null()
                                                          : json::value::string(record.holder_identity);
  spec["leaseDurationSeconds"] = json::value::number(record.lease_duration_seconds);
  if (!record.acquire_time.empty()) spec["acquireTime"] = json::value::string(record.acquire_time);
  if (!record.renew_time.empty()) spec["renewTime"] = json::value::string(record.renew_time);
  spec["leaseTransitions"] = json::value::number(record.lease_transitions);
  json::value lease = json::value::object();
  lease["apiVersion"] = json::value::string("coordination.k8s.io/v1");
  lease["kind"] = json::value::string("Lease");
  lease["metadata"] = meta;
  lease["spec"] = spec;
  return lease.serialize();
}

std::string encode_event(const EventRecord& e) {
  json::value meta = json::value::object();
  meta["generateName"] = json::value::string(e.involved_name + ".");
  meta["namespace"] = json::value::string(e.involved_namespace.empty() ? "default" : e.involved_namespace);
  json::value involved = json::value::object();
  involved["apiVersion"] = json::value::string(e.involved_api_version);
  involved["kind"] = json::value::string(e.involved_kind);
  if (!e.involved_namespace.empty()) involved["namespace"] = json::value::string(e.involved_namespace);
  involved["name"] = json::value::string(e.involved_name);
  if (!e.involved_uid.empty()) involved["uid"] = json::value::string(e.involved_uid);
  json::value source = json::value::object();
  source["component"] = json::value::string(e.component);
  json::value event = json::value::object();
  event["apiVersion"] = json::value::string("v1");
  event["kind"] = json::value::string("Event");
  event["metadata"] = meta;
  event["involvedObject"] = involved;
  event["type"] = json::value::string(e.type);
  event["reason"] = json::value::string(e.reason);
  event["message"] = json::value::string(e.message);
  event["source"] = source;
  event["firstTimestamp"] = json::value::string(e.time);
  event["lastTimestamp"] = json::value::string(e.time);
  event["count"] = json::value::number(1);
  event["reportingComponent"] = json::value::string(e.component);
  event["reportingInstance"] = json::value::string(e.instance);
  return event.serialize();
}

}  // namespace kb::controller::kube
