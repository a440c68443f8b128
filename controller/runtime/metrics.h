#pragma once
// The controller's Prometheus metrics (docs/metrics.md, "Controller"), all prefixed
// kubebalancer_controller_. The counters are bumped where the work happens: every KubeApi call
// goes through InstrumentedKubeApi, the reflectors report each watch restart, the loop times each
// reconcile and counts table publishes. Thread-safe (prometheus-cpp metrics are atomic).
#include <memory>
#include <string>
#include <vector>

#include "controller/kube/kube_api.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace kb::controller::runtime {

class ControllerMetrics {
 public:
  ControllerMetrics();
  ~ControllerMetrics();
  ControllerMetrics(const ControllerMetrics&) = delete;
  ControllerMetrics& operator=(const ControllerMetrics&) = delete;

  // code: the HTTP status as text ("200", "409"), or "error" for a transport failure.
  void api_request(const std::string& verb, const std::string& resource, const std::string& code);
  // reason: "closed" (the server ended the watch), "expired" (410), "http_error", "transport_error".
  void watch_restart(const std::string& resource, const std::string& reason);
  void reconcile_duration(double seconds);
  void table_published();
  void status_written();
  void set_leader(bool leading);

  // The Prometheus text exposition of everything above.
  std::string render() const;
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* api_requests_;
  prometheus::Family<prometheus::Counter>* watch_restarts_;
  prometheus::Histogram* reconcile_duration_;
  prometheus::Counter* table_publishes_;
  prometheus::Counter* status_writes_;
  prometheus::Gauge* leader_;
};

// Counts every call of the wrapped KubeApi in `metrics` (api_requests_total; a successful
// patch_status also counts as a status write). Verbs as Kubernetes names them: get, list, watch,
// create, update, patch, delete. A watch counts once, when it opens.
std::unique_ptr<kube::KubeApi> instrument(kube::KubeApi& api, ControllerMetrics& metrics);

// Serves GET /metrics (and /healthz, 200 while up) over HTTP/1.1 on one thread of its own: a
// small Beast server rather than prometheus-cpp's civetweb Exposer, so the binary needs no
// library beyond those the image already ships (Boost is header-only here).
class MetricsServer {
 public:
  // listen: "ADDR:PORT", ADDR an IP address (port 0 = any free port). Throws std::runtime_error
  // when it cannot bind.
  MetricsServer(const std::string& listen, const ControllerMetrics& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  int port() const;  // the bound port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Accepts "HOST:PORT" with a numeric port 0..65535 ("[::1]:9902" for IPv6).
bool valid_listen_address(const std::string& text, std::string& error);

}  // namespace kb::controller::runtime
