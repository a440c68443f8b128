#include "controller/runtime/edit_sync.h"

#include <map>
#include <utility>

#include "controller/reconcile/reconcile.h"

namespace kb::controller::runtime {
namespace kr = kb::controller::kube::resources;

EditSync::EditSync(kube::KubeApi& api, const std::string& proxy_admin, Logger log)
    : EditSync(
          api, [proxy_admin] { return kube::fetch_proxy_edits(proxy_admin); },
          [proxy_admin](const kube::ProxyEdit& e, const std::string& state, const std::string& note) {
            return kube::acknowledge_proxy_edit(proxy_admin, e, state, note);
          },
          std::move(log)) {}

EditSync::EditSync(kube::KubeApi& api, Fetch fetch, Ack ack, Logger log)
    : api_(api), fetch_(std::move(fetch)), ack_(std::move(ack)), log_(std::move(log)) {}

void EditSync::log(const std::string& message) {
  if (log_) log_(message);
}

int EditSync::sync(const kube::Store& clusters) {
  std::vector<kube::ProxyEdit> edits;
  try {
    edits = fetch_();
    last_error_.clear();
  } catch (const std::exception& e) {
    if (e.what() != last_error_) log(std::string("balancer-manager edits not read: ") + e.what());
    last_error_ = e.what();
    return 0;
  }
  std::map<std::string, std::vector<kube::ProxyEdit>> by_balancer;
  for (auto& e : edits) {
    if (e.state == "pending") by_balancer[e.balancer].push_back(std::move(e));
  }
  if (by_balancer.empty()) return 0;
  std::map<std::string, kube::RawObject> by_name;
  for (auto& raw : clusters.list()) {
    by_name.emplace(reconcile::cluster_balancer_name(raw.meta.namespace_, raw.meta.name), std::move(raw));
  }
  int acknowledged = 0;
  for (const auto& [balancer, group] : by_balancer) {
    const auto it = by_name.find(balancer);
    if (it == by_name.end()) {
      acknowledged += acknowledge(group, "memory-only",
                                  "balancer " + balancer + " has no BalancerCluster to save it in");
      continue;
    }
    if (save(it->second, group)) acknowledged += acknowledge(group, "saved", "BalancerCluster " + it->second.meta.key());
  }
  return acknowledged;
}

bool EditSync::save(const kube::RawObject& cluster, const std::vector<kube::ProxyEdit>& edits) {
  const std::string key = cluster.meta.key();
  kube::RawObject current = cluster;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    try {
      const auto patch = kube::member_overrides_patch(current.json, edits, current.meta.resource_version);
      if (!patch) return true;  // the overrides say it all already
      api_.merge_patch(kr::balancer_clusters(), current.meta.namespace_, current.meta.name, *patch);
      log("balancer-manager edits of " + std::to_string(edits.size()) + " member(s) written to BalancerCluster " +
          key + " spec.memberOverrides");
      return true;
    } catch (const kube::ApiError& e) {
      if (e.not_found()) return false;  // deleted meanwhile: the next pass finds no cluster
      if (!e.conflict()) {
        log("writing balancer-manager edits to BalancerCluster " + key + ": " + e.what());
        return false;
      }
    } catch (const std::exception& e) {
      log("writing balancer-manager edits to BalancerCluster " + key + ": " + e.what());
      return false;
    }
    // 409: someone changed the cluster since we read it. Read it again (a LIST of that one name:
    // the permission the reflector has anyway) and merge again.
    try {
      kube::ListOptions one;
      one.field_selector = "metadata.name=" + cluster.meta.name;
      auto page = api_.list(kr::balancer_clusters(), cluster.meta.namespace_, one);
      if (page.items.empty()) return false;  // deleted meanwhile
      current = std::move(page.items.front());
    } catch (const std::exception& e) {
      log("re-reading BalancerCluster " + key + " after a conflict: " + e.what());
      return false;
    }
  }
  log("BalancerCluster " + key + " kept changing: balancer-manager edits retried on the next pass");
  return false;
}

int EditSync::acknowledge(const std::vector<kube::ProxyEdit>& edits, const std::string& state,
                          const std::string& note) {
  int n = 0;
  for (const auto& e : edits) {
    try {
      if (ack_(e, state, note)) ++n;
      last_ack_error_.clear();
    } catch (const std::exception& ex) {
      if (ex.what() != last_ack_error_) log(std::string("acknowledging a balancer-manager edit: ") + ex.what());
      last_ack_error_ = ex.what();
    }
  }
  return n;
}

}  // namespace kb::controller::runtime
