#include "controller/kube/proxy_admin.h"

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <stdexcept>

namespace kb::controller::kube {
namespace json = web::json;

namespace {
int64_t integer(const json::value& object, const char* key) {
  if (!object.has_number_field(key)) return 0;
  return object.at(key).as_number().to_int64();
}
std::string text(const json::value& object, const char* key) {
  return object.has_string_field(key) ? object.at(key).as_string() : std::string();
}
}  // namespace

ProxyStats decode_proxy_stats(const std::string& body) {
  json::value root;
  try {
    root = json::value::parse(body);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("proxy admin: undecodable JSON: ") + e.what());
  }
  if (!root.is_object() || !root.has_array_field("balancers")) {
    throw std::runtime_error("proxy admin: no \"balancers\" list");
  }
  ProxyStats stats;
  for (const auto& b : root.at("balancers").as_array()) {
    if (!b.is_object()) continue;
    auto& members = stats[text(b, "name")];
    if (!b.has_array_field("members")) continue;
    for (const auto& m : b.at("members").as_array()) {
      if (!m.is_object()) continue;
      ProxyMemberStats s;
      s.name = text(m, "name");
      s.url = text(m, "url");
      s.route = text(m, "route");
      s.status = text(m, "status");
      s.usable = m.has_boolean_field("usable") && m.at("usable").as_bool();
      s.elected = integer(m, "elected");
      s.busy = integer(m, "busy");
      s.bytes_in = integer(m, "read");
      s.bytes_out = integer(m, "transferred");
      if (m.has_object_field("health_check")) {
        const auto& hc = m.at("health_check");
        s.last_check_ms_ago = hc.has_number_field("last_check_ms_ago") ? integer(hc, "last_check_ms_ago") : -1;
      }
      members.push_back(std::move(s));
    }
  }
  return stats;
}

std::string proxy_stats_target(const std::vector<std::string>& names) {
  constexpr std::size_t kMaxTarget = 8 * 1024;
  std::string target = "/api/balancers";
  for (std::size_t i = 0; i < names.size(); ++i) {
    target += i == 0 ? "?name=" : "&name=";
    target += web::uri::encode_data_string(names[i]);
    if (target.size() > kMaxTarget) return "/api/balancers";
  }
  return target;
}

std::string proxy_admin_get(const std::string& base_url, const std::string& target, int timeout_ms) {
  try {
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::milliseconds(timeout_ms));
    web::http::client::http_client client(base_url, config);
    auto response = client.request(web::http::methods::GET, target).get();
    if (response.status_code() != 200) {
      throw std::runtime_error("HTTP " + std::to_string(response.status_code()));
    }
    return response.extract_utf8string(true).get();
  } catch (const std::exception& e) {
    throw std::runtime_error("proxy admin " + base_url + target + ": " + e.what());
  }
}

uint64_t fetch_proxy_state_version(const std::string& base_url, int timeout_ms) {
  const std::string body = proxy_admin_get(base_url, "/api/state", timeout_ms);
  try {
    const json::value root = json::value::parse(body);
    if (root.is_object() && root.has_number_field("version")) return root.at("version").as_number().to_uint64();
  } catch (const std::exception&) {
  }
  throw std::runtime_error("proxy admin " + base_url + "/api/state: no \"version\" in " + body.substr(0, 200));
}

ProxyStats fetch_proxy_stats(const std::string& base_url, const std::vector<std::string>& names, int timeout_ms) {
  if (names.empty()) return {};
  return decode_proxy_stats(proxy_admin_get(base_url, proxy_stats_target(names), timeout_ms));
}

}  // namespace kb::controller::kube
