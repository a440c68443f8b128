#include "proxy/app/options.h"

#include <charconv>
#include <map>

#include "proxy/config/table_yaml.h"
#include "proxy/core/cidr.h"

namespace kb::proxy::app {

namespace {

bool parse_u64(const std::string& text, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

bool parse_host_port(const std::string& text, HostPort& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  uint64_t port = 0;
  if (!parse_u64(text.substr(colon + 1), port) || port > 65535 || host.empty()) return false;
  out.host = host;
  out.port = static_cast<uint16_t>(port);
  return true;
}

std::string usage() {
  return "usage: kube-balancer-proxy --table FILE [options]\n"
         "\n"
         "Serves the balancer table FILE (YAML, docs/table-format.md) and reloads it when it\n"
         "changes (inotify) or on SIGHUP; a bad table is logged and the previous one kept.\n"
         "SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit.\n"
         "\n"
         "  --table FILE              the balancer table (required)\n"
         "  --listen ADDR:PORT        proxy listener (default 127.0.0.1:8080; 0.0.0.0:8080 in a pod)\n"
         "  --https-listen ADDR:PORT  HTTPS listener, certificates from the table's tls section\n"
         "                            (docs/tls.md; default: none)\n"
         "  --h2c                     HTTP/2 with prior knowledge (cleartext) on --listen too\n"
         "                            (HTTPS always offers h2 by ALPN; default: off)\n"
         "  --trusted-proxies CIDRS   peers whose X-Forwarded-For/-Proto are kept (default: none,\n"
         "                            every peer's are replaced), e.g. 10.0.0.0/8,::1/128\n"
         "  --admin ADDR:PORT         admin listener: /healthz /readyz /api/balancers\n"
         "                            (default 127.0.0.1:9901; port 0 = any free port)\n"
         "  --workers N               worker threads (default: hardware threads)\n"
         "  --access-log FILE|-|off   access log (default - = stdout)\n"
         "  --error-log FILE|-        error log (default - = stderr)\n"
         "  --log-level LEVEL         debug, info, warn, error (default info)\n"
         "  --port-file FILE          after binding, write \"proxy=PORT admin=PORT\" to FILE\n"
         "  --shutdown-grace DUR      how long in-flight requests may finish on SIGTERM (default 10s)\n"
         "  --reload-debounce DUR     quiet time after a table change before reloading (default 100ms)\n"
         "  --max-body-bytes N        413 for larger request bodies (default 0 = unlimited)\n"
         "  --max-header-bytes N      431 for larger request heads (default 65536)\n"
         "  --max-header-count N      431 for more header fields (default 100)\n"
         "  --max-request-line N      414 for longer request lines (default 8192)\n"
         "  --header-timeout DUR      408 when a request head takes longer (default 60s)\n"
         "  --idle-timeout DUR        close keep-alive connections idle this long (default 60s)\n"
         "  --body-timeout DUR        a request body may take this long plus 1 s per\n"
         "                            --min-body-rate bytes, else 408 (default 60s)\n"
         "  --min-body-rate N         minimum request-body rate in bytes/s (default 500; 0 = off)\n"
         "  --max-connections N       open client connections per process; at the limit new ones\n"
         "                            wait in the listen backlog (default 0 = unlimited)\n"
         "  --manager-allow CIDRS     who may use /balancer-manager (default 127.0.0.0/8,::1/128)\n"
         "  --manager-token-file FILE also require 'Authorization: Bearer <file contents>'\n"
         "  --help                    this text\n"
         "  --version                 print the version\n"
         "\n"
         "Durations: 10 (seconds), 500ms, 10s, 2m.\n";
}

ParseResult parse_options(const std::vector<std::string>& args) {
  ParseResult r;
  Options& o = r.options;
  auto fail = [&](std::string message) {
    r.error = std::move(message);
    return r;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--version") {
      o.version = true;
      continue;
    }
    if (arg == "--h2c" && !has_value) {
      o.h2c = true;
      continue;
    }
    static const std::map<std::string, int> kWithValue = {
        {"--table", 0},      {"--listen", 1},         {"--admin", 2},          {"--workers", 3},
        {"--access-log", 4}, {"--error-log", 5},      {"--log-level", 6},      {"--port-file", 7},
        {"--shutdown-grace", 8}, {"--reload-debounce", 9}, {"--max-body-bytes", 10},
        {"--manager-allow", 11}, {"--manager-token-file", 12}, {"--max-header-bytes", 13},
        {"--max-header-count", 14}, {"--max-request-line", 15}, {"--header-timeout", 16},
        {"--idle-timeout", 17}, {"--https-listen", 18}, {"--trusted-proxies", 19},
        {"--body-timeout", 20}, {"--min-body-rate", 21}, {"--max-connections", 22}};
    auto it = kWithValue.find(arg);
    if (it == kWithValue.end()) return fail("unknown option '" + arg + "'");
    if (!has_value) {
      if (i + 1 >= args.size()) return fail(arg + " needs a value");
      value = args[++i];
    }
    std::string err;
    uint64_t n = 0;
    config::Duration d{};
    switch (it->second) {
      case 0: o.table = value; break;
      case 1:
        if (!parse_host_port(value, o.listen)) return fail("--listen wants ADDR:PORT, got '" + value + "'");
        break;
      case 2:
        if (!parse_host_port(value, o.admin)) return fail("--admin wants ADDR:PORT, got '" + value + "'");
        break;
      case 3:
        if (!parse_u64(value, n) || n < 1 || n > 1024)
          return fail("--workers wants a number from 1 to 1024, got '" + value + "'");
        o.workers = static_cast<int>(n);
        break;
      case 4: o.access_log = value; break;
      case 5: o.error_log = value; break;
      case 6:
        if (!parse_log_level(value, o.log_level))
          return fail("--log-level wants debug, info, warn or error, got '" + value + "'");
        break;
      case 7: o.port_file = value; break;
      case 8:
      case 9:
        if (!config::parse_duration(value, d, err)) return fail(arg + ": " + err);
        (it->second == 8 ? o.shutdown_grace : o.reload_debounce) = d;
        break;
      case 10:
        if (!parse_u64(value, o.max_body_bytes)) return fail("--max-body-bytes wants a number, got '" + value + "'");
        break;
      case 11: o.manager_allow = value; break;
      case 12: o.manager_token_file = value; break;
      case 13:
      case 14:
      case 15: {
        // Each limit needs room for a minimal request ("GET / HTTP/1.1" is 14 bytes).
        const uint64_t low = it->second == 14 ? 1 : 64;
        if (!parse_u64(value, n) || n < low || n > (64u << 20))
          return fail(arg + " wants a number from " + std::to_string(low) + " to 67108864, got '" + value + "'");
        (it->second == 13 ? o.max_header_bytes : it->second == 14 ? o.max_header_count : o.max_request_line) = n;
        break;
      }
      case 16:
      case 17:
        if (!config::parse_duration(value, d, err) || d.count() <= 0)
          return fail(arg + ": " + (err.empty() ? "must be positive" : err));
        (it->second == 16 ? o.header_timeout : o.idle_timeout) = d;
        break;
      case 18:
        if (!parse_host_port(value, o.https_listen.emplace()))
          return fail("--https-listen wants ADDR:PORT, got '" + value + "'");
        break;
      case 19:
        if (!core::CidrSet::parse(value, err)) return fail("--trusted-proxies: " + err);
        o.trusted_proxies = value;
        break;
      case 20:
        if (!config::parse_duration(value, d, err) || d.count() <= 0)
          return fail(arg + ": " + (err.empty() ? "must be positive" : err));
        o.body_timeout = d;
        break;
      case 21:
      case 22:
        if (!parse_u64(value, n) || n > (1ull << 40)) return fail(arg + " wants a number, got '" + value + "'");
        (it->second == 21 ? o.min_body_rate : o.max_connections) = n;
        break;
    }
  }
  if (!o.help && !o.version && o.table.empty()) return fail("--table FILE is required");
  if (o.error_log == "off") return fail("--error-log wants FILE or -");
  return r;
}

}  // namespace kb::proxy::app
