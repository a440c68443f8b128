#include "controller/runtime/leader_elector.h"

namespace kb::controller::runtime {
namespace kr = kb::controller::kube::resources;
using kube::ApiError;

LeaderElector::LeaderElector(kube::KubeApi& api, LeaderElectionConfig config, const Clock& clock,
                             Logger log)
    : api_(api), config_(std::move(config)), clock_(clock), log_(std::move(log)) {}

bool LeaderElector::lease_expired_locally() const {
  if (observed_.holder_identity.empty()) return true;  // released
  const auto duration = observed_.lease_duration_seconds > 0
                            ? std::chrono::seconds(observed_.lease_duration_seconds)
                            : config_.lease_duration;
  return observed_time_ + duration <= clock_.now();
}

bool LeaderElector::try_acquire_or_renew() {
  const auto now = clock_.now();
  const std::string stamp = format_time(now, true);
  kube::LeaseRecord desired;
  desired.holder_identity = config_.identity;
  desired.lease_duration_seconds = config_.lease_duration.count();
  desired.acquire_time = stamp;
  desired.renew_time = stamp;

  kube::RawObject current;
  try {
    current = api_.get(kr::leases(), config_.lease_namespace, config_.lease_name);
  } catch (const ApiError& e) {
    if (!e.not_found()) throw;
    api_.create(kr::leases(), config_.lease_namespace,
                kube::encode_lease(config_.lease_namespace, config_.lease_name, "", desired));
    observed_ = desired;
    observed_time_ = now;
    have_observed_ = true;
    return true;
  }
  const kube::LeaseRecord record = kube::decode_lease(current);
  // Remember when the record last changed, by our own clock: that is what expiry is measured by.
  if (!have_observed_ || !(record == observed_)) {
    observed_ = record;
    observed_time_ = now;
    have_observed_ = true;
  }
  observed_version_ = current.meta.resource_version;
  const bool ours = record.holder_identity == config_.identity;
  if (!ours && !lease_expired_locally()) return false;

  if (ours) {
    desired.acquire_time = record.acquire_time;
    desired.lease_transitions = record.lease_transitions;
  } else {
    desired.lease_transitions = record.lease_transitions + 1;
  }
  // Conditional on the resourceVersion read: a concurrent winner makes this a 409.
  try {
    api_.update(kr::leases(), config_.lease_namespace, config_.lease_name,
                kube::encode_lease(config_.lease_namespace, config_.lease_name, observed_version_, desired));
  } catch (const ApiError& e) {
    if (e.conflict()) return false;
    throw;
  }
  observed_ = desired;
  observed_time_ = now;
  return true;
}

void LeaderElector::release() {
  if (!leader_) return;
  try {
    kube::LeaseRecord released = observed_;
    released.holder_identity.clear();
    released.lease_duration_seconds = 1;
    released.renew_time = format_time(clock_.now(), true);
    api_.update(kr::leases(), config_.lease_namespace, config_.lease_name,
                kube::encode_lease(config_.lease_namespace, config_.lease_name, "", released));
  } catch (const std::exception& e) {
    if (log_) log_(std::string("leader election: release failed: ") + e.what());
  }
  leader_ = false;
}

void LeaderElector::run(const std::function<void(bool)>& on_change) {
  for (;;) {
    bool held = false;
    try {
      held = try_acquire_or_renew();
    } catch (const std::exception& e) {
      if (log_) log_(std::string("leader election: ") + e.what());
    }
    const auto now = clock_.now();
    if (held) last_renew_ = now;
    bool leader = leader_.load();
    if (held && !leader) {
      leader_ = true;
      if (log_) log_("leader election: became leader as " + config_.identity);
      on_change(true);
    } else if (!held && leader && now - last_renew_ >= config_.renew_deadline) {
      leader_ = false;
      if (log_) log_("leader election: lost the lease");
      on_change(false);
    } else if (!held && leader && !observed_.holder_identity.empty() &&
               observed_.holder_identity != config_.identity) {
      leader_ = false;  // someone else holds it now: stop at once
      if (log_) log_("leader election: lease taken by " + observed_.holder_identity);
      on_change(false);
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, config_.retry_period, [this] { return stopped_; })) break;
  }
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_all();
}

}  // namespace kb::controller::runtime
