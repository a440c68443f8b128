#include "controller/kube/store.h"

#include <set>

namespace kb::controller::kube {

bool Store::upsert_locked(const RawObject& object) {
  if (!admits_locked(object.meta.key())) return objects_.erase(object.meta.key()) > 0;
  auto [it, inserted] = objects_.try_emplace(object.meta.key(), object);
  if (inserted) return true;
  // Same resourceVersion and bytes: a replay (relist, rewatch), not a change.
  if (it->second.meta.resource_version == object.meta.resource_version &&
      it->second.json == object.json) {
    return false;
  }
  it->second = object;
  return true;
}

bool Store::replace(const std::vector<RawObject>& items, const std::string& scope) {
  std::lock_guard lock(mutex_);
  bool changed = false;
  std::set<std::string> seen;
  for (const auto& object : items) {
    seen.insert(object.meta.key());
    changed |= upsert_locked(object);
  }
  for (auto it = objects_.begin(); it != objects_.end();) {
    const bool in_scope = scope.empty() || it->second.meta.namespace_ == scope;
    if (in_scope && !seen.count(it->first)) {
      it = objects_.erase(it);  // deleted while we were not watching
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) ++revision_;
  return changed;
}

bool Store::apply(EventType type, const RawObject& object) {
  std::lock_guard lock(mutex_);
  bool changed = false;
  if (type == EventType::kAdded || type == EventType::kModified) {
    changed = upsert_locked(object);
  } else if (type == EventType::kDeleted) {
    changed = objects_.erase(object.meta.key()) > 0;
  }
  if (changed) ++revision_;
  return changed;
}

bool Store::admit_only(std::set<std::string> keys) {
  std::lock_guard lock(mutex_);
  bool grew = !admitted_;
  if (admitted_)
    for (const auto& k : keys) grew |= !admitted_->contains(k);
  admitted_ = std::move(keys);
  for (auto it = objects_.begin(); it != objects_.end();) {
    if (admits_locked(it->first)) {
      ++it;
    } else {
      it = objects_.erase(it);
      ++revision_;
    }
  }
  return grew;
}

bool Store::admits(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return admits_locked(key);
}

std::vector<RawObject> Store::list() const {
  std::lock_guard lock(mutex_);
  std::vector<RawObject> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::optional<RawObject> Store::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

size_t Store::size() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

uint64_t Store::revision() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

}  // namespace kb::controller::kube
