#include "proxy/net/worker.h"

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <random>
#include <system_error>

#include "proxy/net/connection.h"
#include "proxy/net/exchange_buffers.h"
#include "proxy/net/session_util.h"
#include "proxy/tls/tls_terminator.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Worker::Worker(const ServerOptions& options, const AccessLogSink& access_log, ServerStats& stats,
               const tls::TlsTerminator* tls)
    : options_(options),
      access_log_(access_log),
      stats_(stats),
      ioc_(std::make_unique<asio::io_context>(1)),
      tls_(tls),
      pool_(options.upstream_max_idle_per_member, options.upstream_idle_timeout),
      random_((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {
  acceptor_.emplace(*ioc_);
  tls_acceptor_.emplace(*ioc_);
  sweep_timer_.emplace(*ioc_);
  accept_retry_.emplace(*ioc_);
}

Worker::~Worker() {
  if (thread_.joinable()) {
    ioc_->stop();
    thread_.join();
  }
  // Tear down in dependency order: everything that owns a socket or timer before the io_context;
  // sessions still suspended are destroyed with the io_context and unlink themselves.
  closing_ = true;
  acceptor_.reset();
  tls_acceptor_.reset();
  sweep_timer_.reset();
  accept_retry_.reset();
  parked_[0].reset();
  parked_[1].reset();
  pool_.clear();
  ioc_.reset();
}

void Worker::listen(const tcp::endpoint& endpoint, bool reuse_port, bool tls) {
  tcp::acceptor& acceptor = tls ? *tls_acceptor_ : *acceptor_;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    const int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::system_error(
        ec.value(), std::system_category(),
        "listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()));
  }
}

uint16_t Worker::local_port(bool tls) const {
  boost::system::error_code ec;
  return (tls ? *tls_acceptor_ : *acceptor_).local_endpoint(ec).port();
}

void Worker::start() {
  accept_next(*acceptor_, false);
  accept_next(*tls_acceptor_, true);
  arm_sweep();
  thread_ = std::thread([this] {
    ioc_->run();
    finished_ = true;
  });
}

void Worker::accept_next(tcp::acceptor& acceptor, bool tls) {
  if (!acceptor.is_open()) return;
  acceptor.async_accept([this, &acceptor, tls](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // EMFILE and friends: the pending connection stays in the backlog, so accepting again at
      // once would spin. Retry after a pause, when descriptors may have been freed.
      accept_retry_->expires_after(std::chrono::milliseconds(50));
      accept_retry_->async_wait([this, &acceptor, tls](boost::system::error_code wait_ec) {
        if (!wait_ec && !draining_) accept_next(acceptor, tls);
      });
      return;
    }
    if (draining_) return;
    stats_.client_connections.fetch_add(1, std::memory_order_relaxed);
    if (!admit()) {
      // --max-connections: keep this one aside and stop accepting here, so the next ones wait in
      // the kernel's listen backlog (bounded memory); resume_accepting() goes on below the limit.
      parked_[tls ? 1 : 0].emplace(std::move(socket));
      stats_.client_connections_limited.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    start_connection(std::move(socket), tls);
    accept_next(acceptor, tls);
  });
}

// Takes a slot under --max-connections (per process, so a compare-and-swap across workers).
bool Worker::admit() {
  auto& active = stats_.client_connections_active;
  const auto max = static_cast<int64_t>(options_.max_connections);
  int64_t n = active.load(std::memory_order_relaxed);
  do {
    if (max > 0 && n >= max) return false;
  } while (!active.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

// The connection holds the slot admit() took; ~ClientConnection gives it back.
void Worker::start_connection(tcp::socket socket, bool tls) {
  // TLS: a fresh SSL on the current certificate set; it holds that set until the connection
  // ends, so a reload never changes certificates under a handshake.
  SSL* ssl = tls && tls_ != nullptr ? tls_->new_ssl() : nullptr;
  if (tls && ssl == nullptr) {
    stats_.client_connections_active.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  ClientConnection::start(*this, std::move(socket), ssl);
}

// A slot may be free again (a connection of any worker closed): serve the parked connection and
// accept again. Called from the sweep and, posted, when one of this worker's connections ends.
void Worker::resume_accepting() {
  for (int i = 0; i < 2; ++i) {
    if (!parked_[i] || draining_ || !admit()) continue;
    tcp::socket socket = std::move(*parked_[i]);
    parked_[i].reset();
    start_connection(std::move(socket), i == 1);
    accept_next(i == 1 ? *tls_acceptor_ : *acceptor_, i == 1);
  }
}

void Worker::connection_closed() {
  if (!closing_ && (parked_[0] || parked_[1])) asio::post(*ioc_, [this] { resume_accepting(); });
}

void Worker::close_acceptors() {
  boost::system::error_code ec;
  acceptor_->close(ec);
  tls_acceptor_->close(ec);
  accept_retry_->cancel();
  parked_[0].reset();
  parked_[1].reset();
}

void Worker::arm_sweep() {
  sweep_timer_->expires_after(kSweepInterval);
  sweep_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || closing_) return;
    const auto now = std::chrono::steady_clock::now();
    for (ClientConnection* s = sessions_; s != nullptr; s = s->next_) s->on_sweep(now);
    pool_.sweep(now);
    resume_accepting();
    arm_sweep();
  });
}

void Worker::publish(std::shared_ptr<const core::Snapshot> snapshot) {
  asio::post(*ioc_,
             [this, snapshot = std::move(snapshot)]() mutable { snapshot_ = std::move(snapshot); });
}

void Worker::begin_drain() {
  asio::post(*ioc_, [this] {
    draining_ = true;
    close_acceptors();
    pool_.clear();
    for (ClientConnection* s = sessions_; s != nullptr; s = s->next_) s->on_drain();
  });
}

void Worker::close_all() {
  asio::post(*ioc_, [this] {
    draining_ = true;
    closing_ = true;
    close_acceptors();
    sweep_timer_->cancel();
    pool_.clear();
    for (ClientConnection* s = sessions_; s != nullptr; s = s->next_) s->close();
    closed_all_ = true;
  });
}

void Worker::join(std::chrono::milliseconds wait) {
  if (!thread_.joinable()) return;
  // After close_all() every session unwinds within a few handler runs. Then stop the loop even if
  // others still have work queued on this io_context (health-check timers, for instance).
  const auto until = std::chrono::steady_clock::now() + wait;
  while (!finished_ && (!closed_all_ || session_count_.load() > 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ioc_->stop();
  thread_.join();
}

std::unique_ptr<ExchangeBuffers> Worker::take_exchange_buffers() {
  if (spare_buffers_.empty()) return std::make_unique<ExchangeBuffers>(options_.max_header_bytes);
  std::unique_ptr<ExchangeBuffers> buffers = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return buffers;
}

void Worker::give_exchange_buffers(std::unique_ptr<ExchangeBuffers> buffers) {
  constexpr std::size_t kMaxSpares = 256;  // bounds what a past burst keeps
  if (closing_ || spare_buffers_.size() >= kMaxSpares) return;
  buffers->client_in.consume(buffers->client_in.size());
  buffers->response.reset();
  buffers->request.reset();
  buffers->arena.reset();
  spare_buffers_.push_back(std::move(buffers));
}

void Worker::link(ClientConnection* session) {
  session->prev_ = nullptr;
  session->next_ = sessions_;
  if (sessions_ != nullptr) sessions_->prev_ = session;
  sessions_ = session;
  session_count_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::unlink(ClientConnection* session) {
  if (session->prev_ != nullptr) {
    session->prev_->next_ = session->next_;
  } else if (sessions_ == session) {
    sessions_ = session->next_;
  }
  if (session->next_ != nullptr) session->next_->prev_ = session->prev_;
  session->prev_ = session->next_ = nullptr;
  session_count_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace kb::proxy::net
