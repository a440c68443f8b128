#include "proxy/core/state_registry.h"

namespace kb::proxy::core {
namespace {

const std::string& member_name(const config::Member& m) { return m.name.empty() ? m.url : m.name; }

// Sets or clears, in the live flags, exactly the bits whose configured value changed.
void apply_changed_flags(MemberState& state, const config::StatusFlags& before,
                         const config::StatusFlags& after) {
  const uint32_t old_bits = to_bits(before);
  const uint32_t new_bits = to_bits(after);
  const uint32_t changed = old_bits ^ new_bits;
  if (changed == 0) return;
  state.set(new_bits & changed);
  state.clear(old_bits & changed);
}

}  // namespace

std::vector<std::vector<std::shared_ptr<MemberState>>> StateRegistry::bind(const config::Table& table) {
  std::lock_guard lock(mutex_);
  std::map<Key, Entry, std::less<>> next;
  std::vector<std::vector<std::shared_ptr<MemberState>>> out;
  out.reserve(table.balancers.size());
  for (const config::Balancer& b : table.balancers) {
    auto& states = out.emplace_back();
    states.reserve(b.members.size());
    for (const config::Member& m : b.members) {
      Key key{b.name, member_name(m)};
      if (auto dup = next.find(key); dup != next.end()) {  // duplicate name: share one state
        states.push_back(dup->second.state);
        continue;
      }
      Entry entry;
      auto old = entries_.find(key);
      if (old != entries_.end() && old->second.url == m.url) {
        entry = std::move(old->second);
        MemberState& s = *entry.state;
        apply_changed_flags(s, entry.status, m.status);
        if (entry.loadfactor != m.loadfactor) {
          const MemberState fresh(m);  // the same scaling and clamping as a new member's
          s.lbfactor.store(fresh.lbfactor.load(std::memory_order_relaxed), std::memory_order_relaxed);
        }
        if (entry.lbset != m.lbset) s.lbset.store(m.lbset, std::memory_order_relaxed);
      } else {
        entry.state = std::make_shared<MemberState>(m);
        entry.url = m.url;
      }
      entry.status = m.status;
      entry.loadfactor = m.loadfactor;
      entry.lbset = m.lbset;
      states.push_back(entry.state);
      next.emplace(std::move(key), std::move(entry));
    }
  }
  entries_ = std::move(next);
  return out;
}

std::shared_ptr<MemberState> StateRegistry::find(std::string_view balancer, std::string_view member) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(Key{std::string(balancer), std::string(member)});
  return it == entries_.end() ? nullptr : it->second.state;
}

std::size_t StateRegistry::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace kb::proxy::core
