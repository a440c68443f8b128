#include "proxy/admin/manager/edit_store.h"

#include <charconv>
#include <set>

#include "proxy/admin/json_writer.h"
#include "proxy/admin/manager/form.h"

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

const char* to_string(EditState state) {
  switch (state) {
    case EditState::kPending: return "pending";
    case EditState::kSaved: return "saved";
    case EditState::kMemoryOnly: return "memory-only";
  }
  return "pending";
}

std::optional<EditState> parse_edit_state(std::string_view text) {
  if (text == "pending") return EditState::kPending;
  if (text == "saved") return EditState::kSaved;
  if (text == "memory-only") return EditState::kMemoryOnly;
  return std::nullopt;
}

namespace {

// Whether the table's member already holds every field of the edit (the controller's table
// carries a saved edit once the BalancerCluster change has been rendered).
bool carries(const config::Member& m, const MemberEdit& e) {
  if (e.loadfactor && m.loadfactor != *e.loadfactor) return false;
  if (e.lbset && m.lbset != *e.lbset) return false;
  if (e.route && m.route != *e.route) return false;
  for (const auto& [letter, on] : e.flags) {
    config::StatusFlags probe = m.status;
    if (set_flag(probe, letter, on) && !(probe == m.status)) return false;
  }
  return true;
}

}  // namespace

void EditStore::record(const std::string& balancer, const std::string& member, const MemberEdit& edit) {
  std::lock_guard lock(mutex_);
  EditEntry& entry = edits_[{balancer, member}];
  MemberEdit& e = entry.edit;
  if (edit.loadfactor) e.loadfactor = edit.loadfactor;
  if (edit.lbset) e.lbset = edit.lbset;
  if (edit.route) e.route = edit.route;
  if (edit.redirect) e.redirect = edit.redirect;
  for (const auto& [letter, on] : edit.flags) e.flags[letter] = on;
  // A memory-only balancer stays memory-only; anything else has something new to save.
  entry.seq = next_seq_++;
  if (entry.state != EditState::kMemoryOnly) entry.state = EditState::kPending;
}

void EditStore::apply(config::Table& table, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> keep;
  for (auto& b : table.balancers) {
    for (auto& m : b.members) {
      const auto key = std::make_pair(b.name, m.name);
      const auto it = edits_.find(key);
      if (it == edits_.end()) continue;
      EditEntry& entry = it->second;
      // The resource has it and the table shows it (or the resource moved on): the table rules.
      if (entry.state == EditState::kSaved && (carries(m, entry.edit) || now - entry.saved_at >= kSavedGrace)) {
        if (!entry.edit.redirect) continue;
        // A redirect has no override field: it stays here, alone, as memory-only.
        MemberEdit only_redirect;
        only_redirect.redirect = entry.edit.redirect;
        entry.edit = only_redirect;
        entry.state = EditState::kMemoryOnly;
        entry.note = "route redirects are not saved in the BalancerCluster";
      }
      const MemberEdit& e = entry.edit;
      keep.insert(key);
      if (e.loadfactor) m.loadfactor = *e.loadfactor;
      if (e.lbset) m.lbset = *e.lbset;
      if (e.route) m.route = *e.route;
      if (e.redirect) m.redirect = *e.redirect;
      for (const auto& [letter, on] : e.flags) set_flag(m.status, letter, on);
    }
  }
  std::erase_if(edits_, [&](const auto& kv) { return !keep.contains(kv.first); });
}

bool EditStore::acknowledge(const std::string& balancer, const std::string& member, uint64_t seq, EditState state,
                            const std::string& note, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = edits_.find({balancer, member});
  if (it == edits_.end() || it->second.seq != seq) return false;
  it->second.state = state;
  it->second.note = note;
  it->second.saved_at = now;
  return true;
}

std::optional<MemberEdit> EditStore::find(const std::string& balancer, const std::string& member) const {
  std::lock_guard lock(mutex_);
  const auto it = edits_.find({balancer, member});
  if (it == edits_.end()) return std::nullopt;
  return it->second.edit;
}

std::optional<EditEntry> EditStore::entry(const std::string& balancer, const std::string& member) const {
  std::lock_guard lock(mutex_);
  const auto it = edits_.find({balancer, member});
  if (it == edits_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::pair<std::string, std::string>, EditEntry>> EditStore::all() const {
  std::lock_guard lock(mutex_);
  return {edits_.begin(), edits_.end()};
}

std::optional<EditAck> parse_edit_ack(const std::string& body, std::string& error) {
  const auto form = parse_form(body);
  if (!form) {
    error = "the body is not valid urlencoded data";
    return std::nullopt;
  }
  auto field = [&](const char* key) -> const std::string* {
    const auto it = form->find(key);
    return it == form->end() ? nullptr : &it->second;
  };
  EditAck ack;
  const std::string* balancer = field("balancer");
  const std::string* member = field("member");
  const std::string* seq = field("seq");
  const std::string* state = field("state");
  if (!balancer || balancer->empty() || !member || member->empty()) {
    error = "balancer and member are required";
    return std::nullopt;
  }
  ack.balancer = *balancer;
  ack.member = *member;
  if (!seq || std::from_chars(seq->data(), seq->data() + seq->size(), ack.seq).ptr != seq->data() + seq->size() ||
      seq->empty()) {
    error = "seq must be the edit's sequence number";
    return std::nullopt;
  }
  const auto parsed = state ? parse_edit_state(*state) : std::nullopt;
  if (!parsed || *parsed == EditState::kPending) {
    error = "state must be saved or memory-only";
    return std::nullopt;
  }
  ack.state = *parsed;
  if (const std::string* note = field("note")) ack.note = *note;
  return ack;
}

std::string edits_json(const EditStore& store) {
  JsonWriter w;
  w.begin_object().key("edits").begin_array();
  for (const auto& [key, entry] : store.all()) {
    const MemberEdit& e = entry.edit;
    w.begin_object().field("balancer", key.first).field("member", key.second);
    w.field("seq", static_cast<int64_t>(entry.seq)).field("state", to_string(entry.state));
    if (e.loadfactor) w.field("loadfactor", *e.loadfactor);
    if (e.lbset) w.field("lbset", *e.lbset);
    if (e.route) w.field("route", *e.route);
    if (e.redirect) w.field("redirect", *e.redirect);
    if (!e.flags.empty()) {
      w.key("flags").begin_object();
      for (const auto& [letter, on] : e.flags) w.field(std::string(1, letter), on);
      w.end_object();
    }
    if (!entry.note.empty()) w.field("note", entry.note);
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace kb::proxy::admin
