#include "controller/runtime/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>
#include <thread>

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

// Forwards every call to `inner_`. It makes no API call of its own: each one is made (and named,
// for the RBAC check in tests/integration/packaging/test_rbac.py) by its caller.
class InstrumentedKubeApi : public kube::KubeApi {
 public:
  InstrumentedKubeApi(kube::KubeApi& api, ControllerMetrics& metrics) : inner_(api), metrics_(metrics) {}

  kube::RawObject get(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    return counted("get", r, [&] { return inner_.get(r, ns, name); });
  }
  kube::ListPage list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& o) override {
    return counted("list", r, [&] { return inner_.list(r, ns, o); });
  }
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& o) override {
    return counted("watch", r, [&] { return inner_.watch(r, ns, o); });
  }
  kube::RawObject create(const kube::Resource& r, const std::string& ns, const std::string& json) override {
    return counted("create", r, [&] { return inner_.create(r, ns, json); });
  }
  kube::RawObject update(const kube::Resource& r, const std::string& ns, const std::string& name,
                         const std::string& json) override {
    return counted("update", r, [&] { return inner_.update(r, ns, name, json); });
  }
  kube::RawObject merge_patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                              const std::string& json) override {
    return counted("patch", r, [&] { return inner_.merge_patch(r, ns, name, json); });
  }
  kube::RawObject patch_status(const kube::Resource& r, const std::string& ns, const std::string& name,
                               const std::string& json) override {
    auto out = counted("patch", r, [&] { return inner_.patch_status(r, ns, name, json); });
    metrics_.status_written();
    return out;
  }
  void remove(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    counted("delete", r, [&] {
      inner_.remove(r, ns, name);
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

  kube::KubeApi& inner_;
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

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One connection: requests in a row (keep-alive) until the client closes, errs or idles 30 s.
class MetricsSession : public std::enable_shared_from_this<MetricsSession> {
 public:
  MetricsSession(tcp::socket socket, const ControllerMetrics& metrics)
      : stream_(std::move(socket)), metrics_(metrics) {}

  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    const std::string target(request_.target());
    const std::string path = target.substr(0, target.find('?'));
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response->result(http::status::method_not_allowed);
      response->set(http::field::allow, "GET, HEAD");
      response->body() = "GET only\n";
    } else if (path == "/metrics") {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response->body() = metrics_.render();
    } else if (path == "/healthz") {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "ok\n";
    } else {
      response->result(http::status::not_found);
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "not found: /metrics and /healthz are served here\n";
    }
    response->prepare_payload();
    if (request_.method() == http::verb::head) response->body().clear();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  const ControllerMetrics& metrics_;
};

}  // namespace

struct MetricsServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  const ControllerMetrics* metrics = nullptr;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<MetricsSession>(std::move(socket), *metrics)->read();
      accept();
    });
  }
};

MetricsServer::MetricsServer(const std::string& listen, const ControllerMetrics& metrics)
    : impl_(std::make_unique<Impl>()) {
  std::string error;
  if (!valid_listen_address(listen, error)) throw std::runtime_error("--metrics-listen: " + error);
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--metrics-listen " + listen + ": '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  impl_->metrics = &metrics;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("--metrics-listen " + listen + ": cannot listen: " + ec.message());
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

MetricsServer::~MetricsServer() {
  impl_->io.stop();
  impl_->thread.join();
}

int MetricsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace kb::controller::runtime
