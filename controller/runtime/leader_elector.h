#pragma once
// Lease-based leader election, as client-go's tools/leaderelection: a candidate holds the
// coordination.k8s.io/v1 Lease while it renews it; another takes over when the record has not
// changed for leaseDurationSeconds *as observed locally* (no trust in the holder's clock). Updates
// carry the resourceVersion read, so two candidates never both win the same round.
//
// There is no fencing: a deposed leader can still finish a write it started, so everything the
// leader writes must be idempotent (status merge patches of computed state are).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "controller/kube/kube_api.h"
#include "controller/kube/typed.h"
#include "controller/runtime/clock.h"

namespace kb::controller::runtime {

struct LeaderElectionConfig {
  std::string lease_namespace;  // main defaults it to the pod's namespace, else "default"
  std::string lease_name = "kube-balancer-controller";
  std::string identity;  // unique per candidate: the pod name plus a random suffix
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElector {
 public:
  using Logger = std::function<void(const std::string&)>;
  LeaderElector(kube::KubeApi& api, LeaderElectionConfig config, const Clock& clock, Logger log = {});

  // One round: acquire or renew. Returns true when we hold the lease afterwards.
  bool try_acquire_or_renew();
  // Gives the lease up (holder cleared) if we hold it, so a successor need not wait it out.
  void release();

  // Runs rounds every retry_period until stop(); leadership is lost when renewals keep failing
  // past renew_deadline. `on_change(true/false)` is called on every flip.
  void run(const std::function<void(bool)>& on_change);
  void stop();
  bool is_leader() const { return leader_.load(); }

 private:
  bool lease_expired_locally() const;

  kube::KubeApi& api_;
  LeaderElectionConfig config_;
  const Clock& clock_;
  Logger log_;
  kube::LeaseRecord observed_;
  std::chrono::system_clock::time_point observed_time_{};
  std::string observed_version_;
  bool have_observed_ = false;
  std::atomic<bool> leader_{false};
  std::chrono::system_clock::time_point last_renew_{};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
};

}  // namespace kb::controller::runtime
