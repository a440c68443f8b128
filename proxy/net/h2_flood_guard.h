#pragma once
// Budgets for the frames a client can send that cost the server work but carry no request:
// RST_STREAM (rapid reset, CVE-2023-44487: each reset stream may already have started an
// exchange), SETTINGS and PING (each one owes an ACK), PRIORITY, and empty DATA or HEADERS
// frames without END_STREAM (CVE-2019-9518). Token buckets per connection: a burst, then a
// steady rate; a client over budget gets GOAWAY ENHANCE_YOUR_CALM and the connection closes
// (h2_callbacks.cc). nghttp2 also bounds unsent ACKs (max_outbound_ack) and CONTINUATION frames
// per header block (max_continuations); see docs/tls.md for the figures.
#include <algorithm>
#include <chrono>

namespace kb::proxy::net {

class H2FloodGuard {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Kind { kReset, kControl, kEmpty };

  struct Budget {
    double burst;
    double per_second;
  };
  static constexpr Budget kReset{200, 50};
  static constexpr Budget kControl{100, 10};
  static constexpr Budget kEmpty{100, 10};

  // Charges one frame; false when the client is over its budget for that kind.
  bool charge(Kind kind, Clock::time_point now) {
    switch (kind) {
      case Kind::kReset:
        return reset_.take(kReset, now);
      case Kind::kControl:
        return control_.take(kControl, now);
      case Kind::kEmpty:
        return empty_.take(kEmpty, now);
    }
    return true;
  }

 private:
  struct Bucket {
    double tokens = -1;  // < 0: full, first use
    Clock::time_point last;
    bool take(const Budget& b, Clock::time_point now) {
      if (tokens < 0) {
        tokens = b.burst;
      } else {
        const double elapsed = std::chrono::duration<double>(now - last).count();
        tokens = std::min(b.burst, tokens + elapsed * b.per_second);
      }
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
  };
  Bucket reset_;
  Bucket control_;
  Bucket empty_;
};

}  // namespace kb::proxy::net
