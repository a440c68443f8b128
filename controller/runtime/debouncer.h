#pragma once
// Coalesces bursts of store changes into one reconcile, like Contour's holdoff: run `debounce`
// after the last change, but never later than `ceiling` after the first one of the burst, so a
// steady trickle of changes (endpoint churn) cannot postpone publishing forever.
#include <chrono>
#include <optional>

namespace kb::controller::runtime {

class Debouncer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::milliseconds;
  Debouncer(Duration debounce, Duration ceiling) : debounce_(debounce), ceiling_(ceiling) {}

  void on_change(TimePoint now) {
    if (!pending_) first_ = now;
    pending_ = true;
    last_ = now;
  }
  // When the pending burst should be processed; nullopt when nothing is pending.
  std::optional<TimePoint> deadline() const {
    if (!pending_) return std::nullopt;
    return std::min(last_ + debounce_, first_ + ceiling_);
  }
  // True (and the burst is consumed) when the deadline has passed.
  bool due(TimePoint now) {
    auto d = deadline();
    if (!d || now < *d) return false;
    pending_ = false;
    return true;
  }

 private:
  Duration debounce_;
  Duration ceiling_;
  // A flag and a plain time point rather than std::optional<TimePoint>: GCC 12 at -O2 reports a
  // false -Wmaybe-uninitialized on the optional's payload.
  bool pending_ = false;
  TimePoint first_{};
  TimePoint last_{};
};

}  // namespace kb::controller::runtime
