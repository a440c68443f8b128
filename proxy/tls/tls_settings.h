#pragma once
// Settings of TLS termination that do not come from the table (docs/tls.md).
#include <chrono>
#include <functional>
#include <string>

namespace kb::proxy::tls {

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct TlsSettings {
  // ALPN offers `h2` before `http/1.1` (the proxy app sets it: proxy/net/h2_connection.h serves
  // HTTP/2); without it the proxy never selects h2.
  bool http2 = false;
  // Session tickets: a new key every `ticket_rotation`; a key still decrypts (resumes) until
  // `ticket_keys_kept` rotations have passed since it was made.
  std::chrono::seconds ticket_rotation{std::chrono::hours(12)};
  int ticket_keys_kept = 2;
  // Certificate validity checks and ticket key rotation; the system clock when empty.
  Clock clock;
  // Control-plane notices (the generated default certificate); nothing when empty.
  std::function<void(const std::string&)> log_info;

  std::chrono::system_clock::time_point now() const {
    return clock ? clock() : std::chrono::system_clock::now();
  }
};

}  // namespace kb::proxy::tls
