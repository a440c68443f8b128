#pragma once
// The balancer-manager on the admin listener, like Apache's `SetHandler balancer-manager`:
//   GET  /balancer-manager          HTML page (per balancer and member: settings, flags, counters, health)
//   GET  /balancer-manager?xml=1    Apache's XML; ?json=1 the JSON of /api/balancers
//   POST /balancer-manager          an edit: b=BALANCER&w=MEMBER&nonce=N&w_lf=2&w_ls=0&w_wr=r1&w_rr=r2
//                                   &w_status_D=1 (also I, N, H, R, S) - Apache's parameter names
// Access: the AccessPolicy (CIDR allowlist, optional bearer token). Edits: POST only, each checked
// against the balancer's nonce (a random value per balancer, shown on the page); a refused edit
// changes nothing. An accepted edit takes effect at once on every worker (member flags, factor
// and set are shared atomics) and is recorded in the EditStore, so it survives table reloads for
// members that remain; `republish` rebuilds the snapshot with it (needed for route and redirect).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "proxy/admin/admin_server.h"
#include "proxy/admin/manager/access_policy.h"
#include "proxy/admin/manager/edit_store.h"
#include "proxy/core/snapshot.h"

namespace kb::proxy::admin {

struct ManagerHooks {
  std::function<std::shared_ptr<const core::Snapshot>()> current;  // the served snapshot
  std::function<void()> republish;  // re-apply the EditStore to the current table and publish
  // Called after an accepted edit (the app logs it; with a controller it is written back).
  std::function<void(const std::string& balancer, const std::string& member, const MemberEdit&)> on_edit;
  std::function<std::string()> random_nonce;  // injected for tests; default: 128 random bits as hex
};

class BalancerManager {
 public:
  BalancerManager(AccessPolicy policy, EditStore& edits, ManagerHooks hooks);

  // `client_ip`: the peer address of the admin connection.
  AdminResponse handle(const AdminRequest& request, const std::string& client_ip);
  std::string nonce(const std::string& balancer);

 private:
  AdminResponse edit(const AdminRequest& request, const core::Snapshot& snapshot);
  AdminResponse page(const AdminRequest& request, const core::Snapshot& snapshot, const std::string& message);
  std::string edit_note(const std::string& balancer, const std::string& member) const;

  AccessPolicy policy_;
  EditStore& edits_;
  ManagerHooks hooks_;
  std::mutex mutex_;
  std::map<std::string, std::string> nonces_;
};

}  // namespace kb::proxy::admin
