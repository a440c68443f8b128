#pragma once
// The admin listener: a separate port (loopback by default) with its own thread and io_context, so
// nothing here ever runs on a data-plane worker. Endpoints are handlers registered by path before
// start(); the app registers /healthz, /readyz and /api/balancers, later areas add the
// balancer-manager and /metrics the same way.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kb::proxy::admin {

struct AdminRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/balancers/web?x=1"
  std::string path;    // "/api/balancers/web" (percent-decoding is the handler's business)
  std::string query;   // "x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client_ip;  // the peer address of the admin connection ("127.0.0.1", "::1")
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static AdminResponse text(int status, std::string body);
  static AdminResponse json(int status, std::string body);
  static AdminResponse error(int status, std::string_view message);  // {"error":"..."}
};

// Runs on the admin thread; may throw (the server answers 500 and logs nothing itself).
using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;

struct AdminOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 9901;  // 0 = OS chooses
  std::size_t max_body_bytes = 1 << 20;
};

class AdminServer {
 public:
  explicit AdminServer(AdminOptions options);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Registration (before start()). An exact path wins over a prefix; the longest prefix wins.
  void handle(std::string path, AdminHandler handler);
  void handle_prefix(std::string prefix, AdminHandler handler);

  void bind();  // throws std::system_error naming the address on failure
  uint16_t port() const;
  void start();  // starts the admin thread
  void stop();   // closes the listener and connections, joins the thread; idempotent

  // Routing without sockets (tests, and the session itself).
  AdminResponse dispatch(const AdminRequest& request) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::proxy::admin
