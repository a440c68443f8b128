#pragma once
// The controller's event loop: reflectors fill the stores; every change wakes the loop, which
// debounces the burst, decodes the stores into a reconcile::Snapshot, runs the pure reconciler,
// renders the table and publishes it (only when the bytes changed). Every replica saves its own
// proxy's balancer-manager edits in the BalancerClusters (EditSync, every edit_interval). The
// leader also writes status: after each reconcile, whenever the proxy's state version moves (a
// health or drain flip; asked every state_interval) and every status_interval (the live counters
// move without any API change), reading member state from the proxy's admin API.
//
// Nothing is published before every reflector has listed once: an empty cache must never replace
// the proxy's table with an empty one.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/kube_api.h"
#include "controller/kube/reflector.h"
#include "controller/kube/store.h"
#include "controller/reconcile/reconcile.h"
#include "controller/runtime/clock.h"
#include "controller/runtime/debouncer.h"
#include "controller/runtime/edit_sync.h"
#include "controller/runtime/gateway_status_writer.h"
#include "controller/runtime/leader_elector.h"
#include "controller/runtime/metrics.h"
#include "controller/runtime/snapshot_builder.h"
#include "controller/runtime/status_writer.h"
#include "controller/runtime/table_publisher.h"
#include "controller/runtime/tls_files.h"
#include "proxy/config/table_cache.h"

namespace kb::controller::runtime {

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty = all namespaces
  std::string ingress_class = "kube-balancer";
  std::string also_serve_ingress_class;  // "nginx": serve ingress-nginx's Ingresses too; "" = off
  std::string table_out;
  std::string proxy_admin = "http://127.0.0.1:9901";  // "" = do not read the proxy
  std::string publish_address;                        // IP or hostname for Ingress status
  std::string publish_service;  // "ns/name": Ingress status from this Service (beats publish_address)
  // --tls-dir: where spec.tls Secrets are written as files for the proxy; "" = Secrets are not
  // watched and the table gets no `tls` entries.
  std::string tls_dir;
  // --gateway-api: also watch GatewayClass, Gateway, HTTPRoute and ReferenceGrant
  // (docs/gateway-api.md); without their CRDs the controller logs it and serves Ingress as before.
  bool gateway_api = false;
  bool leader_elect = true;
  LeaderElectionConfig lease;
  std::chrono::milliseconds debounce{100};
  std::chrono::milliseconds debounce_ceiling{1000};
  std::chrono::milliseconds status_interval{10000};
  std::chrono::milliseconds edit_interval{500};   // how often the proxy's edits are saved
  std::chrono::milliseconds state_interval{250};  // how often the leader asks the proxy's state version
  int watch_timeout_seconds = 300;
  kube::ReflectorOptions reflector;
  // Where watch restarts, reconcile times, publishes and leadership are counted; not owned, must
  // outlive the Controller. nullptr = no metrics. (API requests are counted by wrapping the KubeApi
  // with instrument().)
  ControllerMetrics* metrics = nullptr;
};

class Controller {
 public:
  using Logger = std::function<void(const std::string&)>;
  Controller(kube::KubeApi& api, ControllerOptions options, const Clock& clock, Logger log);
  ~Controller();

  // Blocks until stop().
  void run();
  void stop();  // thread-safe

 private:
  void notify();
  bool all_synced() const;
  void reconcile_and_publish();
  // Returns how soon a held-back status write may be retried (nullopt: nothing held back).
  std::optional<std::chrono::milliseconds> write_status(const reconcile::Output& output);
  bool proxy_state_changed();
  std::vector<kube::LoadBalancerIngress> status_addresses();
  bool admit_secrets(const reconcile::Output& output);
  bool publish(const reconcile::Output& output);
  void log(const std::string& message) const;

  kube::KubeApi& api_;
  ControllerOptions options_;
  const Clock& clock_;
  Logger log_;
  Stores stores_;
  SnapshotBuilder builder_;
  proxy::config::TableEmitter emitter_;
  TablePublisher publisher_;
  StatusWriter status_writer_;
  std::unique_ptr<EditSync> edit_sync_;  // null without a proxy admin URL
  std::optional<uint64_t> proxy_state_;  // the proxy's last state version seen
  // The --publish-service Service's namespace when no other reflector watches it.
  kube::Store publish_services_;
  std::string publish_note_;  // the last complaint about the publish service, logged once
  std::unique_ptr<LeaderElector> elector_;
  std::vector<std::unique_ptr<kube::Reflector>> reflectors_;
  std::vector<kube::Reflector*> secret_reflectors_;  // also in reflectors_
  std::optional<TlsFiles> tls_files_;
  std::map<std::string, reconcile::TlsMaterial> tls_in_use_;  // what the last table served
  std::vector<std::thread> threads_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool changed_ = false;
  bool stopped_ = false;
  bool leader_changed_ = false;
  std::atomic<bool> leader_{false};
  std::optional<reconcile::Output> last_output_;
};

}  // namespace kb::controller::runtime
