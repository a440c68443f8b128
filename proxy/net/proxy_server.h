#pragma once
// The data plane: N worker threads, each with its own io_context, accepting client connections and
// relaying HTTP/1.1 to balancer members. The app wires it; tests start it on port 0.
//
// Behaviour (see /work/shared/PERFORMANCE.md for why it is built this way):
// * Threads: every worker owns an io_context, an acceptor on the shared port (SO_REUSEPORT), an
//   upstream connection pool and its snapshot pointer; a connection never leaves its worker, so
//   nothing on the request path takes a lock. publish() posts the new snapshot to each worker; a
//   request copies the pointer once and finishes on the table it started with (no table: 503).
// * Client side: HTTP/1.1 and 1.0, keep-alive, pipelined requests answered in order (one at a
//   time). TCP_NODELAY on both sides. Beast's parsers driven by our own read loop; each forwarded
//   header block is serialized by hand and leaves with the first body bytes in one gather write.
// * Layers (connection.h): a connection shell (stream + HTTP/1.1 codec) runs one Exchange per
//   request, created fresh; one attempt loop (attempt_loop.cc), one body pump for both directions
//   (body_pump.h). A request's buffers are lent by the worker while it is read and served; an idle
//   keep-alive connection holds none (under 2 KiB each, docs/benchmarks.md).
// * Routing: snapshot->route(lower-case host without port, path); no match -> 404.
//   absolute-form targets use their authority as the host.
// * Bodies are streamed through a 32 KiB buffer both ways, never held whole. Content-Length bodies
//   keep their length; chunked bodies are de-chunked and re-chunked (extensions and trailers are
//   dropped); a response without length is re-chunked for HTTP/1.1 clients and close-delimited for
//   HTTP/1.0 ones. `Expect: 100-continue` is answered by the proxy (100 sent once it is about to
//   read the body) and not forwarded. Full duplex: the request body goes up while the response
//   comes down (upload.cc), so a member may answer while it reads.
// * Balancing (core::Balancer contract): pick() with the target and every Cookie value; a connect
//   failure calls on_failure() and fails over to another member while failovers < max_attempts()
//   (all failed -> 503, as Apache). A pooled connection found dead (no response) is retried once on a fresh
//   connection to the same member when the whole request went out in one write. After the request
//   was sent, a lost connection fails over only for idempotent methods without a body. on_response
//   for every response (and read timeouts, status 0, timed_out = true), on_done once per pick with
//   the socket bytes sent to / read from the member.
// * Timeouts: connect = member connectiontimeout, else balancer connection_timeout; response (and
//   every member read/write) = member timeout, else balancer member_timeout -> 504. Client:
//   client_header_timeout for a request header (408), idle_timeout between requests and for body
//   and response writes, body_timeout + min_body_rate for the request body (408). Enforced by one
//   sweep per worker every 50 ms, not a timer per operation; the sweep also peeks once a second
//   at clients whose request a member has, and a client gone closes the member's connection.
// * max_connections: at the limit the workers stop accepting (the backlog holds new ones).
// * Local answers, short text/plain bodies: 400 malformed (also duplicate Content-Length, missing
//   Host on 1.1, bad target, and every RFC 9112 refusal of http1_rules.h, which closes), 405
//   CONNECT, 408, 413 body over max_body_bytes (Content-Length at once, chunked when the limit is
//   crossed), 414 request line over max_request_line, 431 header over max_header_bytes or
//   max_header_count, 501 transfer coding or method, 404 no route, 503
//   pick found no member (pick.error_status) or no member reachable, 502 invalid or truncated
//   response,
//   504 response timeout. A local answer closes the connection when the request body was not read.
// * Forwarded request: hop-by-hop headers removed (Connection and the headers it names,
//   Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate,
//   Proxy-Authorization); X-Forwarded-For = the client IP (appended to the incoming chain only
//   from a --trusted-proxies peer); X-Forwarded-Proto = the scheme the client used (or a trusted
//   peer's) and X-Forwarded-Host (client Host) replaced (forwarding.cc); Host = member
//   host_header, or the client's with preserve_host; the member's base path prefixed to the target.
// * HTTP/2 (h2_connection.h): ALPN h2 on --https-listen, prior knowledge on the plain listener
//   with --h2c; every stream is an Exchange over the same attempt loop (members stay HTTP/1.1).
// * HTTPS (--https-listen): the same HTTP/1.1 path over TLS (client_stream.h, tls_io.h); a plain
//   request on a route with sslredirect gets 308 to https://; HSTS on HTTPS responses of hosts
//   configured with it (docs/tls.md).
// * Response: hop-by-hop headers removed; Location, Content-Location and URI pointing at the member
//   URL are rewritten to scheme://client-host/... (ProxyPassReverse, the same scheme); the route cookie
//   (sticky.route_cookie) is added when pick.route_changed and the member has a route.
// * Upgrade: a request with Connection: Upgrade + Upgrade that the member answers with 101 becomes
//   a byte tunnel until either side closes (idle_timeout applies).
// * shutdown(grace): stop accepting, close idle connections, let in-flight requests finish (their
//   responses carry Connection: close) up to `grace`, then close everything, stop the worker
//   io_contexts (work others queued on worker_context() is abandoned: stop it first) and join.
// * stats(): atomic counters (connections, requests, upstream opened/reused/failed, timeouts...).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proxy/core/cidr.h"
#include "proxy/core/snapshot.h"
#include "proxy/net/server_stats.h"

namespace kb::proxy::tls {
class TlsTerminator;
}

namespace kb::proxy::net {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0 = let the OS choose (tests)
  int workers = 2;
  std::size_t max_header_bytes = 64 * 1024;                // 431 past this
  std::size_t max_header_count = 100;                      // 431 past this many field lines
  std::size_t max_request_line = 8192;                     // 414 past this (bytes, no CRLF)
  uint64_t max_body_bytes = 0;                             // 0 = unlimited; 413 past this
  std::chrono::milliseconds client_header_timeout{60000};  // 408 / close
  std::chrono::milliseconds idle_timeout{60000};           // keep-alive idle client connections
  // Minimum request-body rate (Apache mod_reqtimeout's body=60,MinRate=500): the body's reads may
  // wait body_timeout plus 1 s per min_body_rate bytes received, else 408 and close. Time the
  // proxy spends writing to the member does not count. min_body_rate 0 = only idle_timeout.
  std::chrono::milliseconds body_timeout{60000};
  uint64_t min_body_rate = 500;  // bytes per second
  // Open client connections per process; at the limit the workers stop accepting (new ones wait
  // in the listen backlog) until one closes. 0 = unlimited.
  uint64_t max_connections = 0;
  std::chrono::milliseconds upstream_idle_timeout{30000};  // pooled upstream connections
  std::size_t upstream_max_idle_per_member = 64;           // per worker
  // --https-listen (docs/tls.md): a second listener terminating TLS with the tls::TlsTerminator
  // given to ProxyServer. After bind() the port is the bound one (the 308 redirect names it).
  bool https_listen = false;
  std::string https_listen_address = "127.0.0.1";
  uint16_t https_listen_port = 8443;  // 0 = let the OS choose (tests)
  // --h2c: the plain listener also speaks HTTP/2 to a client that starts with the HTTP/2 preface
  // (prior knowledge, no Upgrade); HTTPS offers h2 by ALPN always (docs/tls.md).
  bool h2c = false;
  // --trusted-proxies: peers whose X-Forwarded-For/-Proto are kept (core::decide_forwarded).
  core::CidrSet trusted_proxies;
};

// One line of the access log, produced on the worker thread when a request completes.
struct RequestRecord {
  std::chrono::system_clock::time_point start;
  std::string client;  // "ip:port"
  std::string method;
  std::string target;
  std::string host;
  int status = 0;
  std::string balancer;  // "" if none
  std::string member;    // member name, "" if none
  std::string route;     // member route used
  std::string session_route;
  uint64_t bytes_in = 0;   // from the client (body)
  uint64_t bytes_out = 0;  // to the client (body)
  std::chrono::microseconds duration{0};
  int attempts = 0;
  std::string error;  // short reason for 5xx produced by the proxy
};
using AccessLogSink = std::function<void(const RequestRecord&)>;

class ProxyServer {
 public:
  // `tls`: the certificates of the HTTPS listener, required with options.https_listen (else
  // ignored); it must outlive the server.
  ProxyServer(ServerOptions options, AccessLogSink access_log, const tls::TlsTerminator* tls = nullptr);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds the listeners (throws std::system_error with the address on failure).
  void bind();
  uint16_t port() const;        // the bound port
  uint16_t https_port() const;  // the bound HTTPS port, 0 without --https-listen
  void start();           // starts the worker threads
  // Hands a new table to every worker (posted; each worker swaps its pointer on its own thread).
  void publish(std::shared_ptr<const core::Snapshot> snapshot);
  // Stops accepting, lets in-flight requests finish for up to `grace`, then closes and joins.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t worker_count() const;
  boost::asio::io_context& worker_context(std::size_t i);  // for the health checker and timers
  const ServerStats& stats() const;  // counters for tests and the admin listener

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::proxy::net
