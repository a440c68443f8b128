#pragma once
// The per-member schedules of a background task (health checks, heartbeat polls), keyed by the
// member's MemberState so that a table reload that keeps a member keeps its schedule. Shared by
// HealthChecker and HeartbeatPoller: they differ only in which members they want and in what a
// schedule does. New schedules go round robin over the given io_contexts.
//
// `Schedule` needs: a nested `Target{snapshot, balancer config*, member*}`, retarget(Target),
// start() and stop(). Control plane only; a mutex guards update() and stop() anyway.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/core/snapshot.h"

namespace kb::proxy::health {

template <class Schedule>
class MemberSchedules {
 public:
  MemberSchedules(std::vector<boost::asio::io_context*> contexts, uint64_t seed)
      : contexts_(std::move(contexts)), seed_(seed) {}

  // Follows a new table: keeps (and retargets) the schedules of members still wanted, starts new
  // ones, stops the rest. `wanted(balancer config, member)` says whether a member is scheduled;
  // `dropped(member)` is called for a member that had a schedule and is no longer wanted;
  // `make(io_context, member, target, seed)` builds a new schedule.
  template <class Wanted, class Dropped, class Make>
  void update(const std::shared_ptr<const core::Snapshot>& snapshot, Wanted wanted, Dropped dropped, Make make) {
    std::lock_guard lock(mutex_);
    if (contexts_.empty()) return;
    std::unordered_map<const core::MemberState*, std::shared_ptr<Schedule>> next;
    if (snapshot) {
      const std::size_t n = std::min(snapshot->table.balancers.size(), snapshot->balancers.size());
      for (std::size_t i = 0; i < n; ++i) {
        const config::Balancer& bc = snapshot->table.balancers[i];
        if (!snapshot->balancers[i]) continue;
        for (const core::Member& m : snapshot->balancers[i]->members()) {
          if (!m.state || !m.config || next.contains(m.state.get())) continue;
          auto old = schedules_.find(m.state.get());
          if (!wanted(bc, m)) {
            if (old != schedules_.end()) dropped(m);
            continue;
          }
          typename Schedule::Target target{snapshot, &bc, &m};
          if (old != schedules_.end()) {
            old->second->retarget(std::move(target));
            next.emplace(m.state.get(), std::move(old->second));
            schedules_.erase(old);
            continue;
          }
          boost::asio::io_context& ctx = *contexts_[next_context_++ % contexts_.size()];
          auto schedule = make(ctx, m, std::move(target), seed_ + next_context_);
          schedule->start();
          next.emplace(m.state.get(), std::move(schedule));
        }
      }
    }
    for (auto& [state, schedule] : schedules_) schedule->stop();
    schedules_ = std::move(next);
  }

  void stop() {
    std::lock_guard lock(mutex_);
    for (auto& [state, schedule] : schedules_) schedule->stop();
    schedules_.clear();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return schedules_.size();
  }

 private:
  std::vector<boost::asio::io_context*> contexts_;
  uint64_t seed_;
  std::size_t next_context_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<const core::MemberState*, std::shared_ptr<Schedule>> schedules_;
};

}  // namespace kb::proxy::health
