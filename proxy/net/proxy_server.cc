#include "proxy/net/proxy_server.h"

#include <boost/asio/ip/address.hpp>
#include <stdexcept>
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
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

ProxyServer::ProxyServer(ServerOptions options, AccessLogSink access_log)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.workers < 1) impl_->options.workers = 1;
  impl_->access_log = std::move(access_log);
  for (int i = 0; i < impl_->options.workers; ++i) {
    impl_->workers.push_back(
        std::make_unique<Worker>(impl_->options, impl_->access_log, impl_->stats));
  }
}

ProxyServer::~ProxyServer() {
  if (impl_->started && !impl_->stopped) shutdown(std::chrono::milliseconds(0));
}

void ProxyServer::bind() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.listen_address, ec);
  if (ec) {
    throw std::system_error(ec.value(), std::system_category(),
                            "bad listen address '" + impl_->options.listen_address + "'");
  }
  // One acceptor per worker on the same port (SO_REUSEPORT): the kernel spreads connections and
  // no accept ever crosses threads. Port 0: the first acceptor picks, the others follow.
  uint16_t port = impl_->options.listen_port;
  for (auto& worker : impl_->workers) {
    worker->listen(tcp::endpoint(address, port), true);
    port = worker->local_port();
  }
  impl_->port = port;
}

uint16_t ProxyServer::port() const { return impl_->port; }

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
