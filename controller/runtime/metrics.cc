#include "controller/runtime/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>

namespace kb::controller::runtime {

ControllerMetrics::ControllerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      api_requests_(&prometheus::BuildCounter()
                         .Name("kubebalancer_controller_api_requests_total")
                         .Help("Kubernetes API requests by verb, resource and HTTP status (error = no response).")
                         .Register(*registry_)),
      watch_restarts_(&prometheus::BuildCounter()
                           .Name("kubebalancer_controller_watch_restarts_total")
                           .Help("Watches started again, by resource and why the previous one ended.")
                           .Register(*registry_)),
      // Buckets from 1 ms (a small cluster) to 10 s (a reconcile that would stall publishing).
      reconcile_duration_(&prometheus::BuildHistogram()
                               .Name("kubebalancer_controller_reconcile_duration_seconds")
                               .Help("Time to decode the caches, reconcile, render and publish the table.")
                               .Register(*registry_)
                               .Add({}, prometheus::Histogram::BucketBoundaries{
                                            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                            1, 2.5, 5, 10})),
      table_publishes_(&prometheus::BuildCounter()
                            .Name("kubebalancer_controller_table_publishes_total")
                            .Help("Tables written to --table-out (only when the bytes changed).")
                            .Register(*registry_)
                            .Add({})),
      status_writes_(&prometheus::BuildCounter()
                          .Name("kubebalancer_controller_status_writes_total")
                          .Help("Successful status subresource patches (Ingress, BalancerCluster).")
                          .Register(*registry_)
                          .Add({})),
      leader_(&prometheus::BuildGauge()
                   .Name("kubebalancer_controller_leader")
                   .Help("1 while this replica holds the leader lease (or runs without election), else 0.")
                   .Register(*registry_)
                   .Add({})) {}

ControllerMetrics::~ControllerMetrics() = default;

void ControllerMetrics::api_request(const std::string& verb, const std::string& resource,
                                    const std::string& code) {
  api_requests_->Add({{"verb", verb}, {"resource", resource}, {"code", code}}).Increment();
}

void ControllerMetrics::watch_restart(const std::string& resource, const std::string& reason) {
  watch_restarts_->Add({{"resource", resource}, {"reason", reason}}).Increment();
}

void ControllerMetrics::reconcile_duration(double seconds) { reconcile_duration_->Observe(seconds); }
void ControllerMetrics::table_published() { table_publishes_->Increment(); }
void ControllerMetrics::status_written() { status_writes_->Increment(); }
void ControllerMetrics::set_leader(bool leading) { leader_->Set(leading ? 1 : 0); }

std::string ControllerMetrics::render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

namespace {

class InstrumentedKubeApi : public kube::KubeApi {
 public:
  InstrumentedKubeApi(kube::KubeApi& api, ControllerMetrics& metrics) : api_(api), metrics_(metrics) {}

  kube::RawObject get(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    return counted("get", r, [&] { return api_.get(r, ns, name); });
  }
  kube::ListPage list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& o) override {
    return counted("list", r, [&] { return api_.list(r, ns, o); });
  }
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& o) override {
    return counted("watch", r, [&] { return api_.watch(r, ns, o); });
  }
  kube::RawObject create(const kube::Resource& r, const std::string& ns, const std::string& json) override {
    return counted("create", r, [&] { return api_.create(r, ns, json); });
  }
  kube::RawObject update(const kube::Resource& r, const std::string& ns, const std::string& name,
                         const std::string& json) override {
    return counted("update", r, [&] { return api_.update(r, ns, name, json); });
  }
  kube::RawObject merge_patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                              const std::string& json) override {
    return counted("patch", r, [&] { return api_.merge_patch(r, ns, name, json); });
  }
  kube::RawObject patch_status(const kube::Resource& r, const std::string& ns, const std::string& name,
                               const std::string& json) override {
    auto out = counted("patch", r, [&] { return api_.patch_status(r, ns, name, json); });
    metrics_.status_written();
    return out;
  }
  void remove(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    counted("delete", r, [&] {
      api_.remove(r, ns, name);
      return 0;
    });
  }

 private:
  template <typename F>
  auto counted(const char* verb, const kube::Resource& r, F&& call) -> decltype(call()) {
    try {
      auto out = call();
      metrics_.api_request(verb, r.resource, "200");
      return out;
    } catch (const kube::ApiError& e) {
      metrics_.api_request(verb, r.resource, e.status() == 0 ? "error" : std::to_string(e.status()));
      throw;
    } catch (...) {
      metrics_.api_request(verb, r.resource, "error");
      throw;
    }
  }

  kube::KubeApi& api_;
  ControllerMetrics& metrics_;
};

}  // namespace

std::unique_ptr<kube::KubeApi> instrument(kube::KubeApi& api, ControllerMetrics& metrics) {
  return std::make_unique<InstrumentedKubeApi>(api, metrics);
}

bool valid_listen_address(const std::string& text, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    error = "expected HOST:PORT, got '" + text + "'";
    return false;
  }
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    error = "bad port in '" + text + "'";
    return false;
  }
  return true;
}

MetricsServer::MetricsServer(const std::string& listen, const ControllerMetrics& metrics)
    : health_(std::make_shared<prometheus::Registry>()) {
  std::string error;
  if (!valid_listen_address(listen, error)) throw std::runtime_error("--metrics-listen: " + error);
  try {
    // One worker thread: a scrape is cheap and this keeps the controller's thread count small.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("--metrics-listen " + listen + ": cannot listen: " + e.what());
  }
  exposer_->RegisterCollectable(metrics.registry(), "/metrics");
  // An empty registry: /healthz answers 200 while the server is up.
  exposer_->RegisterCollectable(health_, "/healthz");
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace kb::controller::runtime
