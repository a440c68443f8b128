#pragma once
// Saves the balancer-manager edits of the proxy next to this controller in the BalancerClusters,
// on every replica (not only the leader: a user reaches whichever replica the port-forward picked).
// Each pass reads the proxy's pending edits (GET /api/edits) and, per BalancerCluster, merges them
// into spec.memberOverrides with the resourceVersion it read as a precondition: a 409 (another
// replica or a user changed the cluster meanwhile) re-reads the cluster and merges again, so
// concurrent edits on different replicas all land. Then it acknowledges each edit to the proxy
// (POST /api/edits/ack), which stops applying its own copy once the table carries the edit: from
// there the resource is the only truth, and a user's `kubectl edit` of the overrides stands.
// An edit of a balancer with no BalancerCluster (Service annotations only) has nowhere to go; it is
// acknowledged as memory-only, and the manager page says so.
#include <functional>
#include <string>
#include <vector>

#include "controller/kube/kube_api.h"
#include "controller/kube/member_overrides.h"
#include "controller/kube/store.h"

namespace kb::controller::runtime {

class EditSync {
 public:
  using Logger = std::function<void(const std::string&)>;
  using Fetch = std::function<std::vector<kube::ProxyEdit>()>;
  // (edit, "saved" | "memory-only", note) -> whether the proxy still had that version.
  using Ack = std::function<bool(const kube::ProxyEdit&, const std::string&, const std::string&)>;

  // The proxy at `proxy_admin` ("http://127.0.0.1:9901").
  EditSync(kube::KubeApi& api, const std::string& proxy_admin, Logger log);
  // Tests: any source of edits and any acknowledgement.
  EditSync(kube::KubeApi& api, Fetch fetch, Ack ack, Logger log);

  // One pass over the pending edits. `clusters`: the BalancerCluster store (a first guess of each
  // cluster; a conflict reads the API server). Returns how many edits were acknowledged.
  int sync(const kube::Store& clusters);

  static constexpr int kMaxAttempts = 5;

 private:
  // Merges `edits` into the cluster; true once they are in it (written now or there already).
  bool save(const kube::RawObject& cluster, const std::vector<kube::ProxyEdit>& edits);
  int acknowledge(const std::vector<kube::ProxyEdit>& edits, const std::string& state, const std::string& note);
  void log(const std::string& message);

  kube::KubeApi& api_;
  Fetch fetch_;
  Ack ack_;
  Logger log_;
  // A proxy that stays unreachable (or refuses acknowledgements) is logged once, not every pass.
  std::string last_error_;
  std::string last_ack_error_;
};

}  // namespace kb::controller::runtime
