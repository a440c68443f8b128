#include "controller/kube/gateway_status.h"

#include <cpprest/json.h>

#include "controller/kube/objects/decode.h"

namespace kb::controller::kube {
namespace json = web::json;
using json::value;

namespace {

value parse(const RawObject& raw) {
  try {
    return value::parse(raw.json);
  } catch (const std::exception&) {
    return value::object();
  }
}

const value* member(const value& v, const char* key) {
  if (!v.is_object() || !v.has_field(key)) return nullptr;
  return &v.at(key);
}

// Copies lastTransitionTime from `old` conditions of the same type and status; `now` otherwise.
void stamp(value& desired, const value* old, const std::string& now) {
  value* conditions = desired.has_field("conditions") ? &desired.at("conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return;
  const value* old_list = old ? member(*old, "conditions") : nullptr;
  for (auto& c : conditions->as_array()) {
    std::string time = now;
    if (old_list != nullptr && old_list->is_array()) {
      for (const auto& o : old_list->as_array()) {
        const value* t = member(o, "type");
        const value* s = member(o, "status");
        const value* lt = member(o, "lastTransitionTime");
        if (t && s && lt && *t == c.at("type") && *s == c.at("status")) time = lt->as_string();
      }
    }
    c["lastTransitionTime"] = value::string(time);
  }
}

std::optional<std::string> patch_if_changed(const value& stored, const value& desired) {
  const value* old = member(stored, "status");
  if (old != nullptr && *old == desired) return std::nullopt;
  value patch = value::object();
  patch["status"] = desired;
  return patch.serialize();
}

}  // namespace

std::optional<std::string> gateway_class_status_patch(const RawObject& stored, const GatewayClassStatus& desired,
                                                      const std::string& now) {
  const value obj = parse(stored);
  value status = encode_gateway_class_status(desired);
  stamp(status, member(obj, "status"), now);
  return patch_if_changed(obj, status);
}

std::optional<std::string> gateway_status_patch(const RawObject& stored, const GatewayStatus& desired,
                                                const std::string& now) {
  const value obj = parse(stored);
  const value* old = member(obj, "status");
  value status = encode_gateway_status(desired);
  stamp(status, old, now);
  const value* old_listeners = old ? member(*old, "listeners") : nullptr;
  for (auto& l : status.at("listeners").as_array()) {
    const value* match = nullptr;
    if (old_listeners != nullptr && old_listeners->is_array())
      for (const auto& o : old_listeners->as_array())
        if (member(o, "name") && o.at("name") == l.at("name")) match = &o;
    stamp(l, match, now);
  }
  return patch_if_changed(obj, status);
}

std::optional<std::string> http_route_status_patch(const RawObject& stored,
                                                   const std::vector<GwRouteParentStatus>& ours,
                                                   const std::string& now) {
  const value obj = parse(stored);
  const value* old = member(obj, "status");
  const value* old_parents = old ? member(*old, "parents") : nullptr;
  value parents = value::array();
  size_t n = 0;
  if (old_parents != nullptr && old_parents->is_array())  // other controllers' entries stay
    for (const auto& p : old_parents->as_array())
      if (!member(p, "controllerName") || p.at("controllerName").as_string() != kGatewayControllerName)
        parents[n++] = p;
  for (const GwRouteParentStatus& s : ours) {
    value p = encode_route_parent_status(s);
    const value* match = nullptr;
    if (old_parents != nullptr && old_parents->is_array())
      for (const auto& o : old_parents->as_array())
        if (member(o, "parentRef") && o.at("parentRef") == p.at("parentRef") && member(o, "controllerName") &&
            o.at("controllerName") == p.at("controllerName"))
          match = &o;
    stamp(p, match, now);
    parents[n++] = p;
  }
  value status = value::object();
  status["parents"] = parents;
  return patch_if_changed(obj, status);
}

}  // namespace kb::controller::kube
