#include "proxy/admin/manager/edit_store.h"

#include <set>

#include "proxy/admin/json_writer.h"

namespace kb::proxy::admin {

bool set_flag(config::StatusFlags& f, char letter, bool on) {
  switch (letter) {
    case 'D': f.disabled = on; return true;
    case 'S': f.stopped = on; return true;
    case 'I': f.ignore_errors = on; return true;
    case 'H': f.hot_standby = on; return true;
    case 'R': f.hot_spare = on; return true;
    case 'E': f.in_error = on; return true;
    case 'N': f.drain = on; return true;
    case 'C': f.hc_failed = on; return true;
    default: return false;
  }
}

void EditStore::record(const std::string& balancer, const std::string& member, const MemberEdit& edit) {
  std::lock_guard lock(mutex_);
  MemberEdit& e = edits_[{balancer, member}];
  if (edit.loadfactor) e.loadfactor = edit.loadfactor;
  if (edit.lbset) e.lbset = edit.lbset;
  if (edit.route) e.route = edit.route;
  if (edit.redirect) e.redirect = edit.redirect;
  for (const auto& [letter, on] : edit.flags) e.flags[letter] = on;
}

void EditStore::apply(config::Table& table) {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> present;
  for (auto& b : table.balancers) {
    for (auto& m : b.members) {
      const auto key = std::make_pair(b.name, m.name);
      present.insert(key);
      const auto it = edits_.find(key);
      if (it == edits_.end()) continue;
      const MemberEdit& e = it->second;
      if (e.loadfactor) m.loadfactor = *e.loadfactor;
      if (e.lbset) m.lbset = *e.lbset;
      if (e.route) m.route = *e.route;
      if (e.redirect) m.redirect = *e.redirect;
      for (const auto& [letter, on] : e.flags) set_flag(m.status, letter, on);
    }
  }
  std::erase_if(edits_, [&](const auto& kv) { return !present.contains(kv.first); });
}

std::optional<MemberEdit> EditStore::find(const std::string& balancer, const std::string& member) const {
  std::lock_guard lock(mutex_);
  const auto it = edits_.find({balancer, member});
  if (it == edits_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::pair<std::string, std::string>, MemberEdit>> EditStore::all() const {
  std::lock_guard lock(mutex_);
  return {edits_.begin(), edits_.end()};
}

std::string edits_json(const EditStore& store) {
  JsonWriter w;
  w.begin_object().key("edits").begin_array();
  for (const auto& [key, e] : store.all()) {
    w.begin_object().field("balancer", key.first).field("member", key.second);
    if (e.loadfactor) w.field("loadfactor", *e.loadfactor);
    if (e.lbset) w.field("lbset", *e.lbset);
    if (e.route) w.field("route", *e.route);
    if (e.redirect) w.field("redirect", *e.redirect);
    if (!e.flags.empty()) {
      w.key("flags").begin_object();
      for (const auto& [letter, on] : e.flags) w.field(std::string(1, letter), on);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace kb::proxy::admin
