#pragma once
// Writes what the reconciler and the proxy say the world looks like back to the API: BalancerCluster
// status (merge patch of the status subresource), Ingress status.loadBalancer, and Events. The
// leader only (the runtime calls it only while leading). Like Contour's statusupdater, every write
// compares with the stored object first and skips no-ops; a status whose only changes are the
// ever-moving counters is written at most once per `counter_interval`, and no BalancerCluster's
// status is written more than once per `min_write_interval` (a flapping member must not flood the
// API server: the later change waits, and deferred() says how long). Writes are merge patches of
// computed state, so a write repeated by a deposed leader is harmless.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "controller/kube/kube_api.h"
#include "controller/kube/objects/objects.h"
#include "controller/kube/proxy_admin.h"
#include "controller/reconcile/reconcile.h"
#include "controller/runtime/clock.h"

namespace kb::controller::runtime {

struct StatusWriterOptions {
  std::chrono::seconds counter_interval{30};
  std::string component = "kube-balancer-controller";
  std::string instance;  // the leader identity, for Events
  std::chrono::milliseconds min_write_interval{1000};
};

class StatusWriter {
 public:
  using Logger = std::function<void(const std::string&)>;
  StatusWriter(kube::KubeApi& api, const Clock& clock, StatusWriterOptions options, Logger log = {});

  // `stored`: the BalancerClusters in the store by "ns/name"; `live`: nullptr when the proxy
  // could not be read. Returns the number of patches sent.
  int write_balancer_clusters(const std::vector<reconcile::BalancerClusterStatusUpdate>& updates,
                              const std::map<std::string, kube::BalancerCluster>& stored,
                              const kube::ProxyStats* live);
  // After write_balancer_clusters: the shortest wait until a write it held back may be sent
  // (nullopt: none was held back). The caller calls again then.
  std::optional<std::chrono::milliseconds> deferred() const { return deferred_; }
  int write_ingresses(const std::vector<reconcile::IngressStatusUpdate>& updates,
                      const std::map<std::string, kube::Ingress>& stored);
  // Each distinct (object, reason, message) is posted once while it keeps being reported.
  int write_events(const std::vector<reconcile::Event>& events);
  // After losing and regaining leadership nothing we remember can be trusted.
  void forget();

 private:
  // Our last write. Until the store's copy moves past the resourceVersion it had when we wrote,
  // the watch has not brought our write back and `status` is the newer truth; after that, the
  // store's copy is (even when another writer changed it since).
  struct Written {
    kube::BalancerClusterStatus status;
    std::chrono::system_clock::time_point at;
    std::string stored_version;
  };
  struct WrittenIngress {
    kube::IngressStatus status;
    std::string stored_version;
  };
  kube::KubeApi& api_;
  const Clock& clock_;
  StatusWriterOptions options_;
  Logger log_;
  std::map<std::string, Written> written_;
  std::optional<std::chrono::milliseconds> deferred_;
  std::map<std::string, WrittenIngress> written_ingress_;
  std::set<std::tuple<std::string, std::string, std::string, std::string>> posted_events_;
};

}  // namespace kb::controller::runtime
