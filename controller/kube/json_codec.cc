#include "controller/kube/json_codec.h"

#include <cpprest/json.h>

namespace kb::controller::kube {
namespace json = web::json;

namespace {

std::string string_field(const json::value& object, const char* name) {
  if (!object.is_object() || !object.has_field(name)) return {};
  const auto& v = object.at(name);
  return v.is_string() ? v.as_string() : std::string();
}

RawMeta decode_meta(const json::value& object) {
  RawMeta meta;
  if (!object.is_object() || !object.has_object_field("metadata")) return meta;
  const auto& m = object.at("metadata");
  meta.namespace_ = string_field(m, "namespace");
  meta.name = string_field(m, "name");
  meta.uid = string_field(m, "uid");
  meta.resource_version = string_field(m, "resourceVersion");
  if (m.has_number_field("generation")) meta.generation = m.at("generation").as_number().to_int64();
  return meta;
}

json::value parse(const std::string& text, const char* what) {
  try {
    return json::value::parse(text);
  } catch (const std::exception& e) {
    throw ApiError(0, "", std::string("undecodable ") + what + ": " + e.what());
  }
}

}  // namespace

RawObject decode_raw_object(const std::string& text) {
  const auto value = parse(text, "object");
  if (!value.is_object()) throw ApiError(0, "", "undecodable object: not a JSON object");
  return RawObject{decode_meta(value), text};
}

ListPage decode_raw_list(const std::string& text) {
  const auto value = parse(text, "list");
  if (!value.is_object()) throw ApiError(0, "", "undecodable list: not a JSON object");
  ListPage page;
  if (value.has_object_field("metadata")) {
    const auto& m = value.at("metadata");
    page.resource_version = string_field(m, "resourceVersion");
    page.continue_token = string_field(m, "continue");
  }
  if (value.has_array_field("items")) {
    for (const auto& item : value.at("items").as_array()) {
      page.items.push_back(RawObject{decode_meta(item), item.serialize()});
    }
  }
  return page;
}

WatchEvent decode_watch_event(const std::string& line) {
  const auto value = parse(line, "watch event");
  const std::string type = string_field(value, "type");
  if (!value.is_object() || !value.has_object_field("object")) {
    throw ApiError(0, "", "undecodable watch event: no object");
  }
  const auto& object = value.at("object");
  WatchEvent event;
  if (type == "ADDED") {
    event.type = EventType::kAdded;
  } else if (type == "MODIFIED") {
    event.type = EventType::kModified;
  } else if (type == "DELETED") {
    event.type = EventType::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = EventType::kBookmark;
  } else if (type == "ERROR") {
    event.type = EventType::kError;
    if (object.has_number_field("code")) event.error_code = object.at("code").as_integer();
    event.error_reason = string_field(object, "reason");
    event.error_message = string_field(object, "message");
    return event;
  } else {
    throw ApiError(0, "", "undecodable watch event: unknown type '" + type + "'");
  }
  event.object = RawObject{decode_meta(object), event.type == EventType::kBookmark ? "" : object.serialize()};
  return event;
}

std::string json_quote(const std::string& text) {
  return json::value::string(text).serialize();
}

}  // namespace kb::controller::kube
