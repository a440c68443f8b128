#include "controller/kube/member_overrides.h"

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "controller/kube/proxy_admin.h"

namespace kb::controller::kube {
namespace json = web::json;

namespace {

json::value parse(const std::string& text, const char* what) {
  try {
    return json::value::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": undecodable JSON: " + e.what());
  }
}

// Apache's status= syntax: a '+' or '-' sets the mode for the letters after it (default '+').
std::map<char, bool> parse_flags(const std::string& status) {
  std::map<char, bool> out;
  bool on = true;
  for (char c : status) {
    if (c == '+' || c == '-') {
      on = c == '+';
    } else if (c != ' ') {
      out[static_cast<char>(std::toupper(static_cast<unsigned char>(c)))] = on;
    }
  }
  return out;
}

std::string format_flags(const std::map<char, bool>& flags) {
  std::string out;
  for (const auto& [letter, on] : flags) {
    out += on ? '+' : '-';
    out += letter;
  }
  return out;
}

// Whole numbers as JSON integers: the API server hands back what it was given, and an unchanged
// 2 must compare equal to 2 on the next pass.
json::value number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return json::value::number(static_cast<int64_t>(d));
  return json::value::number(d);
}

}  // namespace

std::vector<ProxyEdit> decode_proxy_edits(const std::string& body) {
  const json::value root = parse(body, "proxy admin /api/edits");
  if (!root.is_object() || !root.has_array_field("edits")) {
    throw std::runtime_error("proxy admin /api/edits: no \"edits\" list");
  }
  std::vector<ProxyEdit> out;
  for (const auto& e : root.at("edits").as_array()) {
    if (!e.is_object() || !e.has_string_field("balancer") || !e.has_string_field("member")) continue;
    ProxyEdit edit;
    edit.balancer = e.at("balancer").as_string();
    edit.member = e.at("member").as_string();
    if (e.has_number_field("loadfactor")) edit.loadfactor = e.at("loadfactor").as_double();
    if (e.has_number_field("lbset")) edit.lbset = e.at("lbset").as_number().to_int64();
    if (e.has_string_field("route")) edit.route = e.at("route").as_string();
    if (e.has_number_field("seq")) edit.seq = e.at("seq").as_number().to_uint64();
    if (e.has_string_field("state")) edit.state = e.at("state").as_string();
    if (e.has_object_field("flags")) {
      for (const auto& [letter, on] : e.at("flags").as_object()) {
        if (letter.size() == 1 && on.is_boolean()) edit.flags[letter[0]] = on.as_bool();
      }
    }
    out.push_back(std::move(edit));
  }
  return out;
}

std::vector<ProxyEdit> fetch_proxy_edits(const std::string& base_url, int timeout_ms) {
  return decode_proxy_edits(proxy_admin_get(base_url, "/api/edits", timeout_ms));
}

bool acknowledge_proxy_edit(const std::string& base_url, const ProxyEdit& edit, const std::string& state,
                            const std::string& note, int timeout_ms) {
  using web::uri;
  const std::string body = "balancer=" + uri::encode_data_string(edit.balancer) +
                           "&member=" + uri::encode_data_string(edit.member) + "&seq=" + std::to_string(edit.seq) +
                           "&state=" + uri::encode_data_string(state) + "&note=" + uri::encode_data_string(note);
  std::string answer;
  try {
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::milliseconds(timeout_ms));
    web::http::client::http_client client(base_url, config);
    web::http::http_request request(web::http::methods::POST);
    request.set_request_uri("/api/edits/ack");
    request.set_body(body, "application/x-www-form-urlencoded");
    auto response = client.request(request).get();
    answer = response.extract_utf8string(true).get();
    if (response.status_code() != 200) throw std::runtime_error("HTTP " + std::to_string(response.status_code()) + ": " + answer);
  } catch (const std::exception& e) {
    throw std::runtime_error("proxy admin " + base_url + "/api/edits/ack: " + e.what());
  }
  const json::value root = parse(answer, "proxy admin /api/edits/ack");
  return root.is_object() && root.has_boolean_field("acknowledged") && root.at("acknowledged").as_bool();
}

std::optional<std::string> member_overrides_patch(const std::string& cluster_json,
                                                  const std::vector<ProxyEdit>& edits,
                                                  const std::string& resource_version) {
  const json::value root = parse(cluster_json, "BalancerCluster");
  json::value before = json::value::array();
  if (root.is_object() && root.has_object_field("spec") && root.at("spec").has_array_field("memberOverrides")) {
    before = root.at("spec").at("memberOverrides");
  }
  json::value overrides = before;
  auto& list = overrides.as_array();
  for (const auto& edit : edits) {
    json::value* entry = nullptr;
    for (auto& o : list) {
      if (o.is_object() && o.has_object_field("selector") && o.at("selector").has_string_field("podName") &&
          o.at("selector").at("podName").as_string() == edit.member) {
        entry = &o;
        break;
      }
    }
    if (entry == nullptr) {
      json::value fresh = json::value::object();
      fresh["selector"] = json::value::object();
      fresh["selector"]["podName"] = json::value::string(edit.member);
      list[list.size()] = fresh;  // appends
      entry = &list[list.size() - 1];
    }
    json::value& e = *entry;
    if (edit.loadfactor) e["loadFactor"] = number(*edit.loadfactor);
    if (edit.lbset) e["lbSet"] = json::value::number(*edit.lbset);
    if (edit.route) e["route"] = json::value::string(*edit.route);
    if (!edit.flags.empty()) {
      std::map<char, bool> flags = e.has_string_field("status") ? parse_flags(e.at("status").as_string())
                                                                : std::map<char, bool>{};
      for (const auto& [letter, on] : edit.flags) flags[letter] = on;
      e["status"] = json::value::string(format_flags(flags));
    }
  }
  if (overrides == before) return std::nullopt;
  json::value patch = json::value::object();
  if (!resource_version.empty()) {
    patch["metadata"] = json::value::object();
    patch["metadata"]["resourceVersion"] = json::value::string(resource_version);
  }
  patch["spec"] = json::value::object();
  patch["spec"]["memberOverrides"] = overrides;
  return patch.serialize();
}

}  // namespace kb::controller::kube
