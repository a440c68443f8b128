#include "proxy/net/proxy_server.h"

#include <boost/asio/ip/address.hpp>
#include <csignal>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ProxyServer::Impl {
  ServerOptions options;
  AccessLogSink access_log;
  ServerStats stats;
  std::vector<std::unique_ptr<Worker>> workers;
  const tls::TlsTerminator* tls = nullptr;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

ProxyServer::ProxyServer(ServerOptions options, AccessLogSink access_log, const tls::TlsTerminator* tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->tls = impl_->options.https_listen ? tls : nullptr;
  if (impl_->options.https_listen && tls == nullptr)
    throw std::invalid_argument("ProxyServer: https_listen without a TlsTerminator");
  // OpenSSL writes TLS connections with write(2), not send(MSG_NOSIGNAL) as Asio does: a client
  // that went away would raise SIGPIPE and end the process. Ignored, as nginx and HAProxy do.
  if (impl_->options.https_listen) std::signal(SIGPIPE, SIG_IGN);
  if (impl_->options.workers < 1) impl_->options.workers = 1;
  impl_->access_log = std::move(access_log);
  for (int i = 0; i < impl_->options.workers; ++i) {
    impl_->workers.push_back(
        std::make_unique<Worker>(impl_->options, impl_->access_log, impl_->stats, impl_->tls));
  }
}

ProxyServer::~ProxyServer() {
  if (impl_->started && !impl_->stopped) shutdown(std::chrono::milliseconds(0));
}

namespace {

asio::ip::address parse_address(const std::string& text) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(text, ec);
  if (ec) throw std::system_error(ec.value(), std::system_category(), "bad listen address '" + text + "'");
  return address;
}

}  // namespace

void ProxyServer::bind() {
  // One acceptor per worker on the same port (SO_REUSEPORT): the kernel spreads connections and
  // no accept ever crosses threads. Port 0: the first acceptor picks, the others follow.
  auto bind_all = [this](const asio::ip::address& address, uint16_t port, bool tls) {
    for (auto& worker : impl_->workers) {
      worker->listen(tcp::endpoint(address, port), true, tls);
      port = worker->local_port(tls);
    }
    return port;
  };
  ServerOptions& o = impl_->options;
  impl_->port = bind_all(parse_address(o.listen_address), o.listen_port, false);
  // The workers read the options by reference; they are not started yet.
  if (o.https_listen) o.https_listen_port = bind_all(parse_address(o.https_listen_address), o.https_listen_port, true);
}

uint16_t ProxyServer::port() const { return impl_->port; }

uint16_t ProxyServer::https_port() const { return impl_->options.https_listen ? impl_->options.https_listen_port : 0; }

void ProxyServer::start() {
  if (impl_->started) return;
  impl_->started = true;
  for (auto& worker : impl_->workers) worker->start();
}

void ProxyServer::publish(std::shared_ptr<const core::Snapshot> snapshot) {
  for (auto& worker : impl_->workers) worker->publish(snapshot);
}

void ProxyServer::shutdown(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  for (auto& worker : impl_->workers) worker->begin_drain();
  const auto until = std::chrono::steady_clock::now() + grace;
  for (;;) {
    bool busy = false;
    for (auto& worker : impl_->workers) busy = busy || worker->active_sessions();
    if (!busy || std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& worker : impl_->workers) worker->close_all();
  for (auto& worker : impl_->workers) worker->join(std::chrono::milliseconds(2000));
}

std::size_t ProxyServer::worker_count() const { return impl_->workers.size(); }

asio::io_context& ProxyServer::worker_context(std::size_t i) {
  if (i >= impl_->workers.size()) throw std::out_of_range("worker_context: no such worker");
  return impl_->workers[i]->context();
}

const ServerStats& ProxyServer::stats() const { return impl_->stats; }

}  // namespace kb::proxy::net
