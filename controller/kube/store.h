#pragma once
// The object cache a reflector fills, like client-go's thread-safe store: objects by
// "namespace/name", replaced wholesale by a list and patched by watch events. Every mutation says
// whether it changed anything, so the runtime is woken only by real changes (a relist that returns
// what we already had, or a replayed event, is a no-op).
//
// Deletes are tombstone-safe: deleting an unknown key is a no-op, and a delete the watch missed
// (during a disconnect) is found by the next relist, which removes every key it no longer returns.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/kube_api.h"

namespace kb::controller::kube {

class Store {
 public:
  // Replaces the objects of namespace `scope` ("" = every namespace) with `items`.
  bool replace(const std::vector<RawObject>& items, const std::string& scope);
  // ADDED/MODIFIED upsert, DELETED removes; bookmarks and errors never reach the store.
  bool apply(EventType type, const RawObject& object);

  // Admission (bounded memory for Secrets): once set, only these keys are kept; every other object
  // a list or an event brings is dropped, and objects already held outside the set are removed.
  // Returns true when the set gained a key, i.e. objects the store dropped earlier may now be
  // wanted: the caller lists again (Reflector::relist).
  bool admit_only(std::set<std::string> keys);
  bool admits(const std::string& key) const;

  std::vector<RawObject> list() const;  // sorted by key: deterministic input for the builder
  std::optional<RawObject> get(const std::string& key) const;
  size_t size() const;
  uint64_t revision() const;  // increases with every change

 private:
  bool upsert_locked(const RawObject& object);
  mutable std::mutex mutex_;
  bool admits_locked(const std::string& key) const { return !admitted_ || admitted_->contains(key); }
  std::map<std::string, RawObject> objects_;
  std::optional<std::set<std::string>> admitted_;  // unset: every object is kept
  uint64_t revision_ = 0;
};

}  // namespace kb::controller::kube
