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

class ProxyMetrics {
 public:
  explicit ProxyMetrics(std::function<std::shared_ptr<const core::Snapshot>()> current);

  void table_reloaded(bool ok, uint64_t generation);  // control plane
  std::string scrape() const;                         // the text exposition format

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Gauge& generation_;
  MemberCollector members_;
};

}  // namespace kb::proxy::admin
