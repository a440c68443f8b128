#pragma once
// The wiring of kube-balancer-proxy: one control thread (the caller of run()) owns the table
// watcher, signals and snapshot building; the data plane (net::ProxyServer's workers) and the admin
// listener (its own thread) only ever see published snapshots. Nothing on the control thread
// blocks a worker.
#include <atomic>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "proxy/admin/admin_server.h"
#include "proxy/admin/json_view.h"
#include "proxy/admin/manager/balancer_manager.h"
#include "proxy/admin/manager/edit_store.h"
#include "proxy/admin/metrics/proxy_metrics.h"
#include "proxy/admin/state_version.h"
#include "proxy/app/access_log.h"
#include "proxy/app/log.h"
#include "proxy/app/options.h"
#include "proxy/app/table_watcher.h"
#include "proxy/core/snapshot.h"
#include "proxy/core/state_registry.h"
#include "proxy/health/health_checker.h"
#include "proxy/health/heartbeat_poller.h"
#include "proxy/net/proxy_server.h"
#include "proxy/tls/tls_terminator.h"

namespace kb::proxy::app {

class ProxyApp {
 public:
  // Opens the logs (throws std::runtime_error naming the file if it cannot).
  explicit ProxyApp(Options options);
  ~ProxyApp();

  // Loads the table, binds both listeners, writes the port file, serves until SIGTERM/SIGINT,
  // then shuts down gracefully. Returns the process exit code; a bad table or a bind failure
  // at startup is logged and returns 1.
  int run();

  // Where the admin handlers live (also for later areas: manager, metrics).
  admin::AdminServer& admin() { return *admin_; }
  // TLS termination for the --https-listen listener; null without that flag. Its certificate
  // set follows the table (prepared with every reload, published with the table).
  tls::TlsTerminator* tls() { return tls_.get(); }

 private:
  void publish(const config::Table& table);
  TableWatcher::Prepared prepare_tls(const config::Table& table);
  void republish();  // admin thread: re-apply manager edits to the current table, on the control thread
  void register_admin_handlers();
  void write_port_file();
  void on_signal(int signo);
  void await_signal();
  std::shared_ptr<const core::Snapshot> current(admin::TableInfo* info) const;

  Options options_;
  Logger log_;
  std::unique_ptr<AccessLog> access_log_;
  boost::asio::io_context control_{1};
  boost::asio::signal_set signals_;
  core::StateRegistry registry_;
  std::unique_ptr<net::ProxyServer> server_;
  std::unique_ptr<health::HealthChecker> health_;
  std::unique_ptr<health::HeartbeatPoller> heartbeat_;
  admin::EditStore edits_;
  admin::StateVersion state_version_;
  std::unique_ptr<admin::BalancerManager> manager_;
  std::unique_ptr<admin::ProxyMetrics> metrics_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<TableWatcher> watcher_;
  std::unique_ptr<tls::TlsTerminator> tls_;

  mutable std::mutex current_mutex_;  // guards current_ and info_ (control thread vs admin thread)
  std::shared_ptr<const core::Snapshot> current_;
  admin::TableInfo info_;
  uint64_t generation_ = 0;
  std::atomic<bool> ready_{false};
  std::atomic<bool> started_{false};
};

}  // namespace kb::proxy::app
