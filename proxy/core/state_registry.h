#pragma once
// Runtime state of every member, keyed by (balancer name, member name), outside any snapshot so
// that a table reload keeps health, counters and manager edits (as Pingora keys health by backend
// identity). Only the control plane calls it (build_snapshot); a mutex keeps that safe anyway.
//
// The reload rule, per member present in both the previous and the new table:
//   * the state object is reused, so counters, health-check counts and live flags survive;
//   * a `status` flag whose value in the table CHANGED versus the previous table is applied from
//     the new table (set or cleared); flags the table did not change keep their live value, so an
//     E from errors, a C from the health checker or a manager edit survives an unrelated reload;
//   * the same for loadfactor and lbset: applied only when the table's value changed;
//   * a member whose URL changed is a different backend: it gets fresh state.
// New members get fresh state from their config; members missing from the new table are dropped.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/member_state.h"

namespace kb::proxy::core {

class StateRegistry {
 public:
  // States for `table`, indexed [balancer][member] in table order; updates the registry to
  // exactly the members of `table` (see the reload rule above).
  std::vector<std::vector<std::shared_ptr<MemberState>>> bind(const config::Table& table);

  // The state of one member, or nullptr.
  std::shared_ptr<MemberState> find(std::string_view balancer, std::string_view member) const;
  std::size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<MemberState> state;
    std::string url;              // the URL the state belongs to
    config::StatusFlags status;   // the table's status when last bound
    double loadfactor = 1;
    int lbset = 0;
  };
  using Key = std::pair<std::string, std::string>;

  mutable std::mutex mutex_;
  std::map<Key, Entry, std::less<>> entries_;
};

}  // namespace kb::proxy::core
