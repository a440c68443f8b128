// kube-balancer-controller: watches Ingress, IngressClass, Service, EndpointSlice and
// BalancerCluster objects, renders the balancer table the proxy serves (--table-out), and as the
// elected leader writes status. Flags and behaviour: docs/controller.md.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "controller/kube/kube_config.h"
#include "controller/runtime/controller.h"
#include "controller/runtime/flags.h"
#include "controller/runtime/metrics.h"

namespace {

std::mutex log_mutex;

void log_line(const std::string& message) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::string stamp = kb::controller::runtime::format_time(now, true);
  std::lock_guard lock(log_mutex);
  std::cerr << stamp << " " << message << std::endl;
}

std::string default_identity() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

// Under LeakSanitizer (KB_SANITIZE builds): cpprestsdk keeps its shared Asio thread pool and pooled
// TLS connections alive past main() by design, so their OpenSSL buffers are reported at exit.
// Those frames are third-party; our own code does not call OpenSSL directly. Unused otherwise.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcpprest.so\nleak:libcrypto.so\nleak:libssl.so\n";
}

int main(int argc, char** argv) {
  using namespace kb::controller;
  runtime::Flags flags;
  std::string error;
  if (!runtime::parse_flags(std::vector<std::string>(argv + 1, argv + argc), flags, error)) {
    std::cerr << "kube-balancer-controller: " << error << "\n" << runtime::usage();
    return 2;
  }
  if (flags.help) {
    std::cout << runtime::usage();
    return 0;
  }
  // Signals are taken by one thread with sigwait, so no handler runs inside library code.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  kube::ClusterConfig config;
  std::unique_ptr<kube::KubeApi> rest_api;
  runtime::ControllerMetrics metrics;
  std::unique_ptr<runtime::MetricsServer> metrics_server;
  try {
    config = kube::resolve_config(flags.kubeconfig, kube::process_env());
    rest_api = kube::make_rest_kube_api(config);
    if (!flags.metrics_listen.empty()) {
      metrics_server = std::make_unique<runtime::MetricsServer>(flags.metrics_listen, metrics);
    }
  } catch (const std::exception& e) {
    std::cerr << "kube-balancer-controller: " << e.what() << "\n";
    return 1;
  }
  // Every API call of the controller goes through this wrapper, which counts it.
  std::unique_ptr<kube::KubeApi> api = runtime::instrument(*rest_api, metrics);
  if (metrics_server) {
    const auto colon = flags.metrics_listen.rfind(':');
    log_line("kube-balancer-controller: serving metrics on http://" + flags.metrics_listen.substr(0, colon) +
             ":" + std::to_string(metrics_server->port()) + "/metrics");
  }
  auto& options = flags.controller;
  options.metrics = &metrics;
  if (options.lease.lease_namespace.empty()) {
    options.lease.lease_namespace = config.default_namespace.empty() ? "default" : config.default_namespace;
  }
  if (options.lease.identity.empty()) options.lease.identity = default_identity();
  log_line("kube-balancer-controller: API server " + config.server + " (" + config.source + "), table " +
           options.table_out + (options.leader_elect ? ", leader election on lease " +
                                    options.lease.lease_namespace + "/" + options.lease.lease_name + " as " +
                                    options.lease.identity : ", no leader election"));

  runtime::SystemClock clock;
  runtime::Controller controller(*api, options, clock, log_line);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!done) log_line("kube-balancer-controller: signal " + std::to_string(sig) + ", stopping");
    controller.stop();
  });
  controller.run();
  // run() returned; wake the waiter if no signal did (the signal stays blocked, so sigwait takes it).
  done = true;
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  log_line("kube-balancer-controller: stopped");
  return 0;
}
