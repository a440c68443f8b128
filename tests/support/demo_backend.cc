// kb-demo-backend: a small HTTP/1.1 + WebSocket server used by the demo and the integration
// tests. One thread per connection with blocking I/O keeps it obvious; it is a test fixture, not
// a data plane. Bodies are streamed through a small buffer so 1 GiB transfers use bounded memory.
//
// Endpoints (any other path answers like "/"):
//   /                "backend=NAME route=ROUTE path=TARGET"; sets a Tomcat-style JSESSIONID=<id>.<ROUTE>
//                    cookie when the request has none, so sticky sessions work in the demo
//   /healthz         200 "ok" (500 "fail" after /admin/fail, until /admin/ok)
//   /echo            echoes the request body (chunked response, streamed)
//   /bytes?n=N       streams N bytes
//   /upload          consumes the body, answers "received=N"
//   /ws              WebSocket echo
//   /slow?ms=N       answers after N milliseconds
//   /status/NNN      answers with status NNN
//   /redirect        302 to http://<own host:port>/target
//   /heartbeat       "ready=N&busy=M"
//   /conn            "conn=ID accepted=N": this connection's id and connections accepted so far
//   /headers         the request's header block as text
//   /early-hints     a 103 Early Hints (Link: </style.css>; rel=preload), then 200 "hinted"
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Options {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;
  std::string name = "backend";
  std::string route = "r1";
  std::string port_file;
  int ready = 10;
};

std::atomic<uint64_t> g_accepted{0};
std::atomic<int64_t> g_in_flight{0};
std::atomic<bool> g_healthy{true};

std::string_view query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

uint64_t to_u64(std::string_view text, uint64_t fallback) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return (ec == std::errc() && ptr == text.data() + text.size()) ? value : fallback;
}

bool has_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return true;
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return false;
}

std::string random_session_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

class Connection {
 public:
  Connection(tcp::socket socket, const Options& options, uint64_t id)
      : socket_(std::move(socket)), options_(options), id_(id) {}

  void run() {
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    for (;;) {
      http::request_parser<http::buffer_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      parser.header_limit(64 * 1024);
      http::read_header(socket_, buffer_, parser, ec);
      if (ec) return;
      ++g_in_flight;
      bool keep = handle(parser, ec);
      --g_in_flight;
      if (ec || !keep) break;
    }
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  using Parser = http::request_parser<http::buffer_body>;

  // Reads the rest of the request body, passing each piece to `sink`.
  template <class Sink>
  void read_body(Parser& parser, beast::error_code& ec, Sink&& sink) {
    char chunk[64 * 1024];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      http::read(socket_, buffer_, parser, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return;
      std::size_t n = sizeof chunk - parser.get().body().size;
      if (n > 0) {
        sink(std::string_view(chunk, n), ec);
        if (ec) return;
      }
    }
  }

  void discard_body(Parser& parser, beast::error_code& ec) {
    read_body(parser, ec, [](std::string_view, beast::error_code&) {});
  }

  std::string head(int status, std::string_view content_type, bool keep_alive,
                   std::string_view extra = {}) {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\r\n";
    h += "Server: kb-demo-backend\r\nX-Backend: " + options_.name + "\r\n";
    if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
    if (!keep_alive) h += "Connection: close\r\n";
    h += extra;
    return h;
  }

  void send_simple(int status, std::string_view body, bool keep_alive, beast::error_code& ec,
                   std::string_view extra = {}) {
    std::string msg = head(status, "text/plain", keep_alive, extra);
    msg += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    msg += body;
    asio::write(socket_, asio::buffer(msg), ec);
  }

  bool handle(Parser& parser, beast::error_code& ec) {
    auto& req = parser.get();
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    bool keep = req.keep_alive();

    if (path == "/ws" && beast::websocket::is_upgrade(req)) {
      serve_websocket(req);
      return false;
    }
    if (path == "/echo") return echo(parser, keep, ec);
    if (path == "/upload") {
      uint64_t total = 0;
      read_body(parser, ec, [&](std::string_view piece, beast::error_code&) { total += piece.size(); });
      if (ec) return false;
      send_simple(200, "received=" + std::to_string(total) + "\n", keep, ec);
      return keep;
    }

    discard_body(parser, ec);
    if (ec) return false;

    if (path == "/healthz") {
      bool ok = g_healthy.load();
      send_simple(ok ? 200 : 500, ok ? "ok\n" : "fail\n", keep, ec);
    } else if (path == "/admin/fail" || path == "/admin/ok") {
      g_healthy = path == "/admin/ok";
      send_simple(200, g_healthy ? "healthy\n" : "failing\n", keep, ec);
    } else if (path == "/bytes") {
      send_bytes(to_u64(query_param(target, "n"), 0), keep, ec);
    } else if (path == "/slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(to_u64(query_param(target, "ms"), 1000)));
      send_simple(200, "slow done backend=" + options_.name + "\n", keep, ec);
    } else if (path.rfind("/status/", 0) == 0) {
      int status = static_cast<int>(to_u64(std::string_view(path).substr(8), 0));
      if (status < 200 || status > 599) status = 400;
      send_simple(status, "status=" + std::to_string(status) + " backend=" + options_.name + "\n",
                  keep, ec);
    } else if (path == "/redirect") {
      auto local = socket_.local_endpoint(ec);
      std::string location = "Location: http://" + local.address().to_string() + ":" +
                             std::to_string(local.port()) + "/target\r\n";
      send_simple(302, "redirect\n", keep, ec, location);
    } else if (path == "/heartbeat") {
      send_simple(200,
                  "ready=" + std::to_string(options_.ready) +
                      "&busy=" + std::to_string(std::max<int64_t>(0, g_in_flight.load() - 1)) + "\n",
                  keep, ec);
    } else if (path == "/conn") {
      send_simple(200, "conn=" + std::to_string(id_) + " accepted=" + std::to_string(g_accepted.load()) +
                           " backend=" + options_.name + "\n",
                  keep, ec);
    } else if (path == "/early-hints") {
      const std::string_view hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
      asio::write(socket_, asio::buffer(hints.data(), hints.size()), ec);
      if (!ec) send_simple(200, "hinted\n", keep, ec);
    } else if (path == "/headers") {
      std::string body;
      for (const auto& field : req) {
        body += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
      }
      send_simple(200, body, keep, ec);
    } else {
      std::string extra;
      auto cookie = req[http::field::cookie];
      if (!has_cookie(cookie, "JSESSIONID")) {
        extra = "Set-Cookie: JSESSIONID=" + random_session_id() + "." + options_.route + "; Path=/\r\n";
      }
      send_simple(200,
                  "backend=" + options_.name + " route=" + options_.route + " path=" + target + "\n",
                  keep, ec, extra);
    }
    return keep && !ec;
  }

  bool echo(Parser& parser, bool keep, beast::error_code& ec) {
    std::string h = head(200, "application/octet-stream", keep, "Transfer-Encoding: chunked\r\n\r\n");
    asio::write(socket_, asio::buffer(h), ec);
    if (ec) return false;
    read_body(parser, ec, [&](std::string_view piece, beast::error_code& wec) {
      char size_line[32];
      int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
      std::array<asio::const_buffer, 3> bufs{asio::buffer(size_line, static_cast<std::size_t>(len)),
                                             asio::buffer(piece.data(), piece.size()),
                                             asio::buffer("\r\n", 2)};
      asio::write(socket_, bufs, wec);
    });
    if (ec) return false;
    asio::write(socket_, asio::buffer("0\r\n\r\n", 5), ec);
    return keep && !ec;
  }

  void send_bytes(uint64_t n, bool keep, beast::error_code& ec) {
    std::string h = head(200, "application/octet-stream", keep,
                         "Content-Length: " + std::to_string(n) + "\r\n\r\n");
    asio::write(socket_, asio::buffer(h), ec);
    static const std::string kBlock(64 * 1024, 'x');
    while (n > 0 && !ec) {
      std::size_t len = static_cast<std::size_t>(std::min<uint64_t>(n, kBlock.size()));
      asio::write(socket_, asio::buffer(kBlock.data(), len), ec);
      n -= len;
    }
  }

  void serve_websocket(const http::request<http::buffer_body>& req) {
    beast::websocket::stream<tcp::socket> ws(std::move(socket_));
    beast::error_code ec;
    // The upgrade request carries no body and the client waits for 101 before sending frames,
    // so nothing is left in buffer_.
    ws.accept(req, ec);
    if (ec) return;
    for (;;) {
      beast::flat_buffer message;
      ws.read(message, ec);
      if (ec) return;
      ws.text(ws.got_text());
      ws.write(message.data(), ec);
      if (ec) return;
    }
  }

  tcp::socket socket_;
  const Options& options_;
  uint64_t id_;
  beast::flat_buffer buffer_;
};

bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  uint64_t p = to_u64(std::string_view(text).substr(colon + 1), 70000);
  if (p > 65535) return false;
  port = static_cast<uint16_t>(p);
  return !host.empty();
}

int usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: kb-demo-backend [--listen HOST:PORT] [--name NAME] [--route ROUTE]\n"
               "                       [--port-file FILE] [--ready N]\n"
               "  --listen     address to listen on (default 127.0.0.1:0, port 0 = any free port)\n"
               "  --name       backend name shown in responses (default backend)\n"
               "  --route      route appended to JSESSIONID cookies (default r1)\n"
               "  --port-file  write the bound port to FILE once listening\n"
               "  --ready      'ready' value reported by /heartbeat (default 10)\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kb-demo-backend: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") return usage(0);
    if (arg == "--listen") {
      if (!split_host_port(value(), options.listen_host, options.listen_port)) {
        std::fprintf(stderr, "kb-demo-backend: --listen wants HOST:PORT\n");
        return 2;
      }
    } else if (arg == "--name") {
      options.name = value();
    } else if (arg == "--route") {
      options.route = value();
    } else if (arg == "--port-file") {
      options.port_file = value();
    } else if (arg == "--ready") {
      options.ready = static_cast<int>(to_u64(value(), 10));
    } else {
      std::fprintf(stderr, "kb-demo-backend: unknown argument %s\n", arg.c_str());
      return usage(2);
    }
  }

  try {
    asio::io_context io;
    tcp::endpoint endpoint(asio::ip::make_address(options.listen_host), options.listen_port);
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    uint16_t port = acceptor.local_endpoint().port();
    if (!options.port_file.empty()) {
      // Write then rename so a reader never sees a partial file.
      std::string tmp = options.port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::rename(tmp.c_str(), options.port_file.c_str());
    }
    std::printf("kb-demo-backend %s route=%s listening on %s:%u\n", options.name.c_str(),
                options.route.c_str(), options.listen_host.c_str(), port);
    std::fflush(stdout);
    for (;;) {
      tcp::socket socket(io);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (ec) continue;
      uint64_t id = ++g_accepted;
      std::thread([s = std::move(socket), &options, id]() mutable {
        Connection(std::move(s), options, id).run();
      }).detach();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kb-demo-backend: %s\n", e.what());
    return 1;
  }
}
