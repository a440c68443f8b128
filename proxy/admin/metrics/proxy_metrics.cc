#include "proxy/admin/metrics/proxy_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <utility>

namespace kb::proxy::admin {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric labelled(const std::string& balancer, const std::string& member,
                      std::initializer_list<ClientMetric::Label> extra = {}) {
  ClientMetric m;
  m.label = {{"balancer", balancer}, {"member", member}};
  m.label.insert(m.label.end(), extra.begin(), extra.end());
  std::sort(m.label.begin(), m.label.end());  // as prometheus-cpp orders its own families' labels
  return m;
}

double load(const std::atomic<uint64_t>& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); }

}  // namespace

std::vector<MetricFamily> MemberCollector::Collect() const {
  const auto snapshot = current_ ? current_() : nullptr;
  auto responses = family("kubebalancer_member_responses_total",
                          "Upstream responses by member and status class.", MetricType::Counter);
  auto latency = family("kubebalancer_member_upstream_response_seconds",
                        "Time from sending a request to a member to its response head.", MetricType::Histogram);
  auto sent = family("kubebalancer_member_sent_bytes_total", "Bytes sent to the member (Apache's To).",
                     MetricType::Counter);
  auto received = family("kubebalancer_member_received_bytes_total", "Bytes read from the member (Apache's From).",
                         MetricType::Counter);
  auto elected = family("kubebalancer_member_elected_total", "Times the member was chosen (Apache's Elected).",
                        MetricType::Counter);
  auto in_flight = family("kubebalancer_member_in_flight_requests", "Requests in flight to the member (Apache's Busy).",
                          MetricType::Gauge);
  auto usable = family("kubebalancer_member_usable", "1 when the member takes new requests (none of D, S, E, C).",
                       MetricType::Gauge);
  auto flag = family("kubebalancer_member_status_flag", "Apache status flags of the member, 1 when set.",
                     MetricType::Gauge);
  auto hc = family("kubebalancer_member_health_checks_total", "Active health-check results.", MetricType::Counter);
  auto sticky = family("kubebalancer_member_sticky_requests_total",
                       "Requests with a session route: hit (its member served it), failover (counted on the member that lost it), miss (no member has the route; counted on the member that took it).",
                       MetricType::Counter);
  if (snapshot) {
    for (const auto& b : snapshot->balancers) {
      const std::string& bn = b->config().name;
      for (const core::Member& m : b->members()) {
        const std::string& mn = m.config->name;
        const core::MemberState& s = *m.state;
        static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < 5; ++i) {
          auto c = labelled(bn, mn, {{"code", kClasses[i]}});
          c.counter.value = load(s.responses_by_class[i]);
          responses.metric.push_back(std::move(c));
        }
        auto h = labelled(bn, mn);
        uint64_t cumulative = 0;
        for (std::size_t i = 0; i < s.latency_buckets.size(); ++i) {
          cumulative += s.latency_buckets[i].load(std::memory_order_relaxed);
          const double bound = i < core::MemberState::kLatencyBoundsSeconds.size()
                                   ? core::MemberState::kLatencyBoundsSeconds[i]
                                   : std::numeric_limits<double>::infinity();
          h.histogram.bucket.push_back({cumulative, bound});
        }
        h.histogram.sample_count = cumulative;
        h.histogram.sample_sum = load(s.latency_sum_us) / 1e6;
        latency.metric.push_back(std::move(h));
        auto add = [&](MetricFamily& f, double v, std::initializer_list<ClientMetric::Label> extra = {}) {
          auto c = labelled(bn, mn, extra);
          if (f.type == MetricType::Counter) c.counter.value = v;
          else c.gauge.value = v;
          f.metric.push_back(std::move(c));
        };
        add(sent, load(s.transferred));
        add(received, load(s.read));
        add(elected, load(s.elected));
        add(in_flight, static_cast<double>(s.busy.load(std::memory_order_relaxed)));
        const uint32_t bits = s.flags.load(std::memory_order_relaxed);
        add(usable, (bits & (core::kDisabled | core::kStopped | core::kInError | core::kHcFailed)) ? 0 : 1);
        static constexpr std::pair<uint32_t, const char*> kFlags[] = {
            {core::kDisabled, "D"}, {core::kStopped, "S"}, {core::kIgnoreErrors, "I"}, {core::kHotStandby, "H"},
            {core::kHotSpare, "R"}, {core::kInError, "E"}, {core::kDrain, "N"},        {core::kHcFailed, "C"}};
        for (const auto& [bit, letter] : kFlags) add(flag, (bits & bit) ? 1 : 0, {{"flag", letter}});
        add(hc, load(s.hc_checks_passed), {{"result", "pass"}});
        add(hc, load(s.hc_checks_failed), {{"result", "fail"}});
        add(sticky, load(s.sticky_hits), {{"result", "hit"}});
        add(sticky, load(s.sticky_failovers), {{"result", "failover"}});
        add(sticky, load(s.sticky_misses), {{"result", "miss"}});
      }
    }
  }
  return {responses, latency, sent, received, elected, in_flight, usable, flag, hc, sticky};
}

ProxyMetrics::ProxyMetrics(std::function<std::shared_ptr<const core::Snapshot>()> current)
    : registry_(std::make_shared<prometheus::Registry>()),
      reloads_ok_(prometheus::BuildCounter()
                      .Name("kubebalancer_table_reloads_total")
                      .Help("Table loads by result: success (published) or failure (rejected, old table kept).")
                      .Register(*registry_)
                      .Add({{"result", "success"}})),
      reloads_failed_(prometheus::BuildCounter()
                          .Name("kubebalancer_table_reloads_total")
                          .Help("Table loads by result: success (published) or failure (rejected, old table kept).")
                          .Register(*registry_)
                          .Add({{"result", "failure"}})),
      generation_(prometheus::BuildGauge()
                      .Name("kubebalancer_table_generation")
                      .Help("Generation of the served table (increments with every published table).")
                      .Register(*registry_)
                      .Add({})),
      members_(std::move(current)) {}

void ProxyMetrics::table_reloaded(bool ok, uint64_t generation) {
  (ok ? reloads_ok_ : reloads_failed_).Increment();
  if (ok) generation_.Set(static_cast<double>(generation));
}

namespace {

// kubebalancer_tls_handshakes_total{result="full"|"resumed"|"failure"}.
MetricFamily tls_handshakes(const ServerCounters& s) {
  auto f = family("kubebalancer_tls_handshakes_total",
                  "TLS handshakes on the HTTPS listener by result: full, resumed (session ticket), failure "
                  "(failed or timed out).",
                  MetricType::Counter);
  const uint64_t full = s.tls_handshakes >= s.tls_resumed ? s.tls_handshakes - s.tls_resumed : 0;
  for (const auto& [result, value] : {std::pair<const char*, uint64_t>{"full", full},
                                      {"resumed", s.tls_resumed},
                                      {"failure", s.tls_handshake_failures}}) {
    ClientMetric m;
    m.label = {{"result", result}};
    m.counter.value = static_cast<double>(value);
    f.metric.push_back(std::move(m));
  }
  return f;
}

}  // namespace

std::string ProxyMetrics::scrape(const ServerCounters* server) const {
  auto families = registry_->Collect();
  auto members = members_.Collect();
  families.insert(families.end(), members.begin(), members.end());
  if (server != nullptr) families.push_back(tls_handshakes(*server));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kb::proxy::admin
