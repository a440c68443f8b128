#pragma once
// Time for the runtime, injected so leader election, debouncing and status timestamps are exact
// in tests.
#include <chrono>
#include <string>

namespace kb::controller::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

// "2026-11-24T13:55:26Z" (metav1.Time) or with microseconds "2026-11-24T13:55:26.123456Z"
// (metav1.MicroTime, used by Leases).
std::string format_time(std::chrono::system_clock::time_point t, bool micros = false);
// Parses either form; returns false on anything else.
bool parse_time(const std::string& text, std::chrono::system_clock::time_point& out);

}  // namespace kb::controller::runtime
