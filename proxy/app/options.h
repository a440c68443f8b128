#pragma once
// Command line of kube-balancer-proxy. Hand-written: a dozen flags do not need a library, and
// the errors can say exactly what is wrong.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/app/log.h"

namespace kb::proxy::app {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct Options {
  std::string table;                              // --table FILE (required)
  HostPort listen{"127.0.0.1", 8080};             // --listen ADDR:PORT
  std::optional<HostPort> https_listen;           // --https-listen ADDR:PORT; unset = no HTTPS
  bool h2c = false;                               // --h2c: HTTP/2 prior knowledge on --listen
  std::string trusted_proxies;                    // --trusted-proxies CIDR,CIDR (checked; default none)
  HostPort admin{"127.0.0.1", 9901};              // --admin ADDR:PORT
  int workers = 0;                                // --workers N; 0 = hardware threads
  std::string access_log = "-";                   // --access-log FILE|-|off
  std::string error_log = "-";                    // --error-log FILE|-
  LogLevel log_level = LogLevel::kInfo;           // --log-level debug|info|warn|error
  std::string port_file;                          // --port-file FILE
  std::chrono::milliseconds shutdown_grace{10000};  // --shutdown-grace DURATION
  std::chrono::milliseconds reload_debounce{100};   // --reload-debounce DURATION
  uint64_t max_body_bytes = 0;                    // --max-body-bytes N (0 = unlimited)
  uint64_t max_header_bytes = 64 * 1024;          // --max-header-bytes N (431)
  uint64_t max_header_count = 100;                // --max-header-count N (431)
  uint64_t max_request_line = 8192;               // --max-request-line N (414)
  std::chrono::milliseconds header_timeout{60000};  // --header-timeout DURATION (408)
  std::chrono::milliseconds idle_timeout{60000};    // --idle-timeout DURATION (keep-alive)
  std::chrono::milliseconds body_timeout{60000};    // --body-timeout DURATION (408 with the rate)
  uint64_t min_body_rate = 500;                     // --min-body-rate N bytes/s (0 = off)
  uint64_t max_connections = 0;                     // --max-connections N (0 = unlimited)
  std::string manager_allow = "127.0.0.0/8,::1/128";  // --manager-allow CIDR,CIDR
  std::string manager_token_file;                 // --manager-token-file FILE
  bool help = false;
  bool version = false;
};

struct ParseResult {
  Options options;
  std::string error;  // non-empty: print it with usage() and exit 2
  bool ok() const { return error.empty(); }
};

ParseResult parse_options(const std::vector<std::string>& args);  // args without argv[0]
std::string usage();
bool parse_host_port(const std::string& text, HostPort& out);  // "127.0.0.1:8080", "[::1]:0"

}  // namespace kb::proxy::app
