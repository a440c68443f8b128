#pragma once
// Balancer-manager edits written back to BalancerClusters: the proxy keeps its manager's edits in
// memory only (GET <admin>/api/edits, docs/admin-api.md); the controller folds them into the
// cluster's spec.memberOverrides so they survive proxy restarts and reach every replica. Lives here
// because it is cpprestsdk HTTP and JSON; the runtime sees plain structs and a patch text.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::controller::kube {

struct ProxyEdit {
  std::string balancer;
  std::string member;  // the member's name: the pod name, or the static member's name
  std::optional<double> loadfactor;
  std::optional<int64_t> lbset;
  std::optional<std::string> route;
  std::map<char, bool> flags;  // Apache flag letters set (true) or cleared (false)
};

std::vector<ProxyEdit> decode_proxy_edits(const std::string& json);  // throws std::runtime_error
// `base_url` like "http://127.0.0.1:9901"; throws std::runtime_error when unreachable.
std::vector<ProxyEdit> fetch_proxy_edits(const std::string& base_url, int timeout_ms = 2000);

// The JSON merge patch that folds `edits` (all for members of this BalancerCluster) into the
// spec.memberOverrides of `cluster_json`, or nullopt when the overrides say it all already. An
// edit updates the entry whose selector.podName is the member (other fields of it are kept), or
// appends one; flags merge into that entry's status ("+D-N"). The manager's redirect has no
// override field and is not written. Throws std::runtime_error on undecodable JSON.
std::optional<std::string> member_overrides_patch(const std::string& cluster_json,
                                                  const std::vector<ProxyEdit>& edits);

}  // namespace kb::controller::kube
