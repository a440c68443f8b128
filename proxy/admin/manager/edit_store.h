#pragma once
// Balancer-manager edits, kept apart from the table so they survive reloads for members that
// remain (Apache's BalancerPersist): after every load the app applies them to the table before it
// builds the snapshot. Keyed by (balancer name, member name); an edit for a member the new table
// no longer has is dropped. Control plane only (the admin thread and the table watcher).
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/config/table.h"

namespace kb::proxy::admin {

struct MemberEdit {
  std::optional<double> loadfactor;
  std::optional<int> lbset;
  std::optional<std::string> route;
  std::optional<std::string> redirect;
  // Flags the manager set (true) or cleared (false): D, N, H, S, I (and R, C as Apache allows).
  std::map<char, bool> flags;
  bool empty() const { return !loadfactor && !lbset && !route && !redirect && flags.empty(); }
};

class EditStore {
 public:
  void record(const std::string& balancer, const std::string& member, const MemberEdit& edit);
  // Applies every edit to `table` and forgets the ones whose member is gone.
  void apply(config::Table& table);
  std::optional<MemberEdit> find(const std::string& balancer, const std::string& member) const;
  std::vector<std::pair<std::pair<std::string, std::string>, MemberEdit>> all() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, MemberEdit> edits_;
};

// GET /api/edits (docs/admin-api.md): every recorded edit, for the controller to write back to the
// BalancerCluster so edits survive proxy restarts and reach every replica:
// {"edits":[{"balancer":"b","member":"m","loadfactor":2,"lbset":1,"route":"r","redirect":"x",
//            "flags":{"D":true,"N":false}}]}; fields not edited are absent.
std::string edits_json(const EditStore& store);

// Sets or clears one Apache flag letter on a config::StatusFlags; false for an unknown letter.
bool set_flag(config::StatusFlags& flags, char letter, bool on);

}  // namespace kb::proxy::admin
