#include "proxy/admin/admin_server.h"

#include <atomic>
#include <map>
#include <optional>
#include <system_error>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "proxy/admin/json_writer.h"

namespace kb::proxy::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

AdminResponse AdminResponse::text(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

AdminResponse AdminResponse::json(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

AdminResponse AdminResponse::error(int status, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("error", message).end_object();
  return json(status, w.take() + "\n");
}

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(30);

// One admin connection: read a request, dispatch, write, repeat while keep-alive. Admin traffic is
// tiny, so the idiomatic Beast shape (tcp_stream timeouts, shared_from_this) is fine here.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const AdminServer& server, std::size_t max_body)
      : stream_(std::move(socket)), server_(server), max_body_(max_body) {}

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec) {
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        respond(AdminResponse::error(413, "request too large"), false);
        return;
      }
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    auto& req = parser_->get();
    AdminRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    auto q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    beast::error_code peer_ec;
    auto peer = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) request.client_ip = peer.address().to_string();
    for (const auto& field : req) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(req.body());
    AdminResponse response;
    try {
      response = server_.dispatch(request);
    } catch (const std::exception& e) {
      response = AdminResponse::error(500, e.what());
    }
    if (request.method == "HEAD") response.body.clear();
    respond(std::move(response), req.keep_alive());
  }

  void respond(AdminResponse response, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(static_cast<unsigned>(response.status));
    res->version(11);
    res->set(http::field::server, "kube-balancer-admin");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    for (auto& [name, value] : response.headers) res->insert(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (res->keep_alive()) {
        self->do_read();
      } else {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      }
    });
  }

  beast::tcp_stream stream_;
  const AdminServer& server_;
  std::size_t max_body_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

struct AdminServer::Impl {
  AdminOptions options;
  std::map<std::string, AdminHandler> exact;
  std::map<std::string, AdminHandler> prefixes;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> stopped{false};

  void do_accept(const AdminServer& server) {
    acceptor.async_accept(asio::make_strand(io), [this, &server](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), server, options.max_body_bytes)->start();
      do_accept(server);
    });
  }
};

AdminServer::AdminServer(AdminOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::handle(std::string path, AdminHandler handler) {
  impl_->exact[std::move(path)] = std::move(handler);
}

void AdminServer::handle_prefix(std::string prefix, AdminHandler handler) {
  impl_->prefixes[std::move(prefix)] = std::move(handler);
}

AdminResponse AdminServer::dispatch(const AdminRequest& request) const {
  if (auto it = impl_->exact.find(request.path); it != impl_->exact.end()) return it->second(request);
  const AdminHandler* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [prefix, handler] : impl_->prefixes) {
    if (request.path.compare(0, prefix.size(), prefix) == 0 && prefix.size() >= best_len) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  if (best != nullptr) return (*best)(request);
  return AdminResponse::error(404, "no such endpoint: " + request.path);
}

void AdminServer::bind() {
  auto& o = impl_->options;
  std::string where = o.address + ":" + std::to_string(o.port);
  try {
    tcp::endpoint endpoint(asio::ip::make_address(o.address), o.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::system_error(std::error_code(e.code().value(), std::system_category()),
                            "admin listener " + where);
  }
}

uint16_t AdminServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void AdminServer::start() {
  impl_->do_accept(*this);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void AdminServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  // Closing the acceptor and stopping the context drops idle admin connections; the admin port
  // has no in-flight work worth draining.
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace kb::proxy::admin
