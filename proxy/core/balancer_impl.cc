// Apache's proxy_balancer_pre_request / post_request for one balancer. The whole decision runs
// under one short per-balancer mutex, like Apache's balancer lock, so lbstatus accounting across
// members stays consistent; every counter is an atomic because health checkers, the admin
// listener and (during a reload) the previous snapshot's balancer touch the same MemberState.
#include "proxy/core/balancer_impl.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "proxy/core/availability.h"
#include "proxy/core/lb/tiers.h"
#include "proxy/core/sticky.h"

namespace kb::proxy::core {
namespace {

class BalancerImpl final : public Balancer {
 public:
  BalancerImpl(const config::Balancer& config, std::vector<Member> members, lb::RandomSource random)
      : config_(config), members_(std::move(members)), method_(lb::make_lbmethod(config, std::move(random))) {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      if (m.config == nullptr) throw std::invalid_argument("balancer " + config.name + ": member without config");
      if (!m.state) m.state = std::make_shared<MemberState>(*m.config);
      m.index = static_cast<uint32_t>(i);
    }
    const int n = static_cast<int>(members_.size());
    max_attempts_ = config.maxattempts ? *config.maxattempts : (n <= 1 ? n : n - 1);
  }

  const config::Balancer& config() const override { return config_; }
  std::span<const Member> members() const override { return members_; }
  int max_attempts() const override { return max_attempts_; }

  Pick pick(const StickyRequest& request, std::span<const Member* const> tried, TimePoint now) override {
    Pick out;
    // Parsing needs no lock: it reads only the request and immutable config.
    const SessionRoute session = find_session_route(config_.sticky, request.target, request.cookies);
    if (!session.route.empty()) out.session_route.assign(session.route);

    const Member* chosen = nullptr;
    {
      std::lock_guard lock(mutex_);
      force_recovery(now);
      if (!session.route.empty()) {
        chosen = find_route(session.route, tried, now, 1);
        if (chosen != nullptr) {
          charge_sticky_hit(*chosen);
          out.sticky_hit = true;
          out.route_changed = chosen->config->route != session.route;  // reached through a redirect
        } else if (const Member* owner = route_owner(session.route)) {
          out.failover = true;
          owner->state->sticky_failovers.fetch_add(1, std::memory_order_relaxed);
          if (config_.nofailover) {
            out.error_status = 503;
            return out;
          }
        }
      }
      if (chosen == nullptr) {
        chosen = method_->pick(members_, tried, now);
        if (chosen == nullptr) {
          out.error_status = 503;
          return out;
        }
        // A new (or moved) session: Apache's BALANCER_ROUTE_CHANGED, so the route cookie is set.
        out.route_changed = config_.sticky.enabled();
        if (!session.route.empty() && !out.failover) chosen->state->sticky_misses.fetch_add(1, std::memory_order_relaxed);
      }
      chosen->state->elected.fetch_add(1, std::memory_order_relaxed);
    }
    if (out.sticky_hit) chosen->state->sticky_hits.fetch_add(1, std::memory_order_relaxed);
    chosen->state->busy.fetch_add(1, std::memory_order_relaxed);
    out.member = chosen;
    return out;
  }

  void on_failure(const Member& member, TimePoint now) override { mark_error(member, now); }

  void on_response(const Member& member, int status, bool timed_out, TimePoint now) override {
    if (member.state->has(kIgnoreErrors)) return;
    const bool listed = std::find(config_.failonstatus.begin(), config_.failonstatus.end(), status) !=
                        config_.failonstatus.end();
    if (listed || (config_.failontimeout && timed_out)) mark_error(member, now);
  }

  void on_done(const Member& member, uint64_t bytes_to, uint64_t bytes_from) override {
    MemberState& s = *member.state;
    // Apache's decrement_busy_count never goes below zero (a reset may have zeroed it meanwhile).
    int64_t busy = s.busy.load(std::memory_order_relaxed);
    while (busy > 0 && !s.busy.compare_exchange_weak(busy, busy - 1, std::memory_order_relaxed)) {
    }
    s.transferred.fetch_add(bytes_to, std::memory_order_relaxed);
    s.read.fetch_add(bytes_from, std::memory_order_relaxed);
  }

 private:
  // Apache's force_recovery: when every member is in error even after try_retry, and
  // forcerecovery is On, clear E on all of them rather than refuse every request.
  void force_recovery(TimePoint now) {
    for (const Member& m : members_) {
      if (!m.state->has(kInError)) return;
      try_retry(m, now);
      if (!m.state->has(kInError)) return;
    }
    if (!config_.forcerecovery) return;
    for (const Member& m : members_) {
      m.state->retries.fetch_add(1, std::memory_order_relaxed);
      m.state->clear(kInError);
    }
  }

  bool candidate(const Member& m, std::span<const Member* const> tried) const {
    return usable(m) && !lb::avoided(m, tried);
  }

  // Apache's find_route_worker: non-H members first, then H; an unusable match gets try_retry and,
  // if still unusable, its redirect route is followed (recursion bounded by the member count, so
  // redirect cycles end). A member this request already tried counts as unusable.
  const Member* find_route(std::string_view route, std::span<const Member* const> tried, TimePoint now,
                           std::size_t recursion) {
    for (const bool standby_pass : {false, true}) {
      for (const Member& m : members_) {
        if (m.state->has(kHotStandby) != standby_pass) continue;
        if (m.config->route.empty() || m.config->route != route) continue;
        if (candidate(m, tried)) return &m;
        try_retry(m, now);
        if (candidate(m, tried)) return &m;
        if (!m.config->redirect.empty() && recursion < members_.size()) {
          const Member* r = find_route(m.config->redirect, tried, now, recursion + 1);
          if (r != nullptr && !candidate(*r, tried)) try_retry(*r, now);
          if (r != nullptr && candidate(*r, tried)) return r;
        }
      }
    }
    return nullptr;
  }

  const Member* route_owner(std::string_view route) const {
    for (const Member& m : members_)
      if (!m.config->route.empty() && m.config->route == route) return &m;
    return nullptr;
  }

  // Sticky hits count toward fairness (Apache's default updatelbstatus): every usable member
  // accrues its lbfactor, the hit member pays the total.
  void charge_sticky_hit(const Member& hit) {
    int64_t total = 0;
    for (const Member& m : members_) {
      if (!usable(m)) continue;
      const int64_t factor = m.state->lbfactor.load(std::memory_order_relaxed);
      m.state->lbstatus.fetch_add(factor, std::memory_order_relaxed);
      total += factor;
    }
    hit.state->lbstatus.fetch_sub(total, std::memory_order_relaxed);
  }

  const config::Balancer& config_;
  std::vector<Member> members_;
  std::unique_ptr<lb::LbMethod> method_;
  int max_attempts_ = 0;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Balancer> make_balancer(const config::Balancer& config, std::vector<Member> members,
                                        lb::RandomSource random) {
  return std::make_unique<BalancerImpl>(config, std::move(members), std::move(random));
}

}  // namespace kb::proxy::core
