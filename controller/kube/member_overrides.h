#pragma once
// Balancer-manager edits saved in BalancerClusters: the proxy keeps its manager's edits in memory
// until a controller saves them (GET <admin>/api/edits, docs/admin-api.md); the controller next to
// it folds them into the cluster's spec.memberOverrides, so they survive proxy restarts and reach
// every replica, and acknowledges each one (POST <admin>/api/edits/ack) so the proxy lets the
// table carry it. Lives here because it is cpprestsdk HTTP and JSON; the runtime sees plain structs
// and a patch text.
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
  uint64_t seq = 0;            // the version of the edit, named in the acknowledgement
  std::string state = "pending";  // "pending", "saved" or "memory-only"
};

std::vector<ProxyEdit> decode_proxy_edits(const std::string& json);  // throws std::runtime_error
// `base_url` like "http://127.0.0.1:9901"; throws std::runtime_error when unreachable.
std::vector<ProxyEdit> fetch_proxy_edits(const std::string& base_url, int timeout_ms = 2000);

// Tells the proxy that version `edit.seq` of the edit is handled: `state` "saved" (it is in the
// resource; `note` says where) or "memory-only" (no resource can hold it; `note` says why).
// Returns whether the proxy still had that version. Throws std::runtime_error when unreachable.
bool acknowledge_proxy_edit(const std::string& base_url, const ProxyEdit& edit, const std::string& state,
                            const std::string& note, int timeout_ms = 2000);

// The JSON merge patch that folds `edits` (all for members of this BalancerCluster) into the
// spec.memberOverrides of `cluster_json`, or nullopt when the overrides say it all already. A
// non-empty `resource_version` (the one the cluster was read at) goes into the patch as a
// precondition: when anyone changed the cluster since, the API server answers 409 instead of the
// patch overwriting their list. An
// edit updates the entry whose selector.podName is the member (other fields of it are kept), or
// appends one; flags merge into that entry's status ("+D-N"). The manager's redirect has no
// override field and is not written. Throws std::runtime_error on undecodable JSON.
std::optional<std::string> member_overrides_patch(const std::string& cluster_json,
                                                  const std::vector<ProxyEdit>& edits,
                                                  const std::string& resource_version = "");

}  // namespace kb::controller::kube
