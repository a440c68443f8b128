#pragma once
// /metrics for the proxy, in Prometheus' text format (prometheus-cpp). Per-member figures are
// read from the members' atomics at scrape time by a Collectable over the served snapshot, so the
// request path never looks up a label (shared/STYLE.md #7). Process-level counters (table
// reloads) are ordinary prometheus-cpp counters in the registry.
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "proxy/core/snapshot.h"

namespace kb::proxy::admin {

class MemberCollector : public prometheus::Collectable {
 public:
  explicit MemberCollector(std::function<std::shared_ptr<const core::Snapshot>()> current)
      : current_(std::move(current)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<std::shared_ptr<const core::Snapshot>()> current_;
};

// Data-plane counters read at scrape time: the app copies them from net::ServerStats (relaxed
// atomics the request path keeps anyway), so admin does not depend on the data-plane library.
struct ServerCounters {
  uint64_t tls_handshakes = 0;          // completed on the HTTPS listener, resumed ones included
  uint64_t tls_resumed = 0;             // of those, resumed from a session ticket
  uint64_t tls_handshake_failures = 0;  // failed or timed out
};

class ProxyMetrics {
 public:
  explicit ProxyMetrics(std::function<std::shared_ptr<const core::Snapshot>()> current);

  void table_reloaded(bool ok, uint64_t generation);  // control plane
  // The text exposition format; `server`: the data plane's counters (nullptr: not exported).
  std::string scrape(const ServerCounters* server = nullptr) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Gauge& generation_;
  MemberCollector members_;
};

}  // namespace kb::proxy::admin
