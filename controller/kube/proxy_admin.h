#pragma once
// Reads the proxy's live member state from its admin API (GET <admin>/api/balancers, schema in
// docs/admin-api.md) for BalancerCluster status. It lives here because it is cpprestsdk HTTP and
// JSON; the runtime sees plain structs.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kb::controller::kube {

struct ProxyMemberStats {
  std::string name;
  std::string url;
  std::string route;
  std::string status;  // Apache flag letters: "Ok", "+H+E"...
  bool usable = false;  // none of D, S, E, C: counts as healthy
  int64_t elected = 0;
  int64_t busy = 0;
  int64_t bytes_in = 0;   // "read": bytes received from the member
  int64_t bytes_out = 0;  // "transferred": bytes sent to the member
  int64_t last_check_ms_ago = -1;  // -1 = never checked
};

// Balancer name -> its members.
using ProxyStats = std::map<std::string, std::vector<ProxyMemberStats>>;

// GET base_url + target on the proxy's admin API: the body of a 200 answer. Throws
// std::runtime_error naming the URL when unreachable or answered otherwise.
std::string proxy_admin_get(const std::string& base_url, const std::string& target, int timeout_ms);

ProxyStats decode_proxy_stats(const std::string& json);  // throws std::runtime_error
// The request target for the named balancers: "/api/balancers?name=A&name=B" (percent-encoded),
// or plain "/api/balancers" (all of them) when the list would not fit in a request line well
// under the admin listener's 16 KiB header limit: a few hundred BalancerClusters.
std::string proxy_stats_target(const std::vector<std::string>& names);

// The members of the named balancers (GET proxy_stats_target(names)): the controller needs only
// its BalancerClusters', and a whole table at scale is megabytes of JSON. No request at all when
// `names` is empty. `base_url` like "http://127.0.0.1:9901"; throws std::runtime_error when
// unreachable.
ProxyStats fetch_proxy_stats(const std::string& base_url, const std::vector<std::string>& names,
                             int timeout_ms = 2000);

// GET <admin>/api/state: a number the proxy changes whenever member flags (health, errors, drain,
// edits) or its table change. Polled cheaply; a new value means the status is worth refreshing.
// Throws std::runtime_error when unreachable or undecodable.
uint64_t fetch_proxy_state_version(const std::string& base_url, int timeout_ms = 1000);

}  // namespace kb::controller::kube
