#include "controller/kube/publish_service.h"

#include <cpprest/json.h>

#include <stdexcept>

namespace kb::controller::kube {
namespace json = web::json;

std::optional<std::pair<std::string, std::string>> parse_publish_service(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  return std::make_pair(text.substr(0, slash), text.substr(slash + 1));
}

std::vector<LoadBalancerIngress> publish_addresses(const std::string& service_json) {
  json::value root;
  try {
    root = json::value::parse(service_json);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("publish service: undecodable JSON: ") + e.what());
  }
  std::vector<LoadBalancerIngress> out;
  if (!root.is_object()) return out;
  if (root.has_object_field("status") && root.at("status").has_object_field("loadBalancer") &&
      root.at("status").at("loadBalancer").has_array_field("ingress")) {
    for (const auto& i : root.at("status").at("loadBalancer").at("ingress").as_array()) {
      if (!i.is_object()) continue;
      LoadBalancerIngress a;
      if (i.has_string_field("ip")) a.ip = i.at("ip").as_string();
      if (i.has_string_field("hostname")) a.hostname = i.at("hostname").as_string();
      if (!a.ip.empty() || !a.hostname.empty()) out.push_back(std::move(a));
    }
    if (!out.empty()) return out;
  }
  if (!root.has_object_field("spec")) return out;
  const json::value& spec = root.at("spec");
  if (spec.has_array_field("externalIPs")) {
    for (const auto& ip : spec.at("externalIPs").as_array()) {
      if (ip.is_string() && !ip.as_string().empty()) out.push_back(LoadBalancerIngress{ip.as_string(), ""});
    }
    if (!out.empty()) return out;
  }
  if (spec.has_string_field("clusterIP")) {
    const std::string ip = spec.at("clusterIP").as_string();
    if (!ip.empty() && ip != "None") out.push_back(LoadBalancerIngress{ip, ""});
  }
  return out;
}

}  // namespace kb::controller::kube
