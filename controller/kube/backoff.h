#pragma once
// Exponential backoff with jitter, as client-go's reflector uses it (wait.Backoff: initial 800 ms,
// factor 2, cap 30 s, jitter 1.0): the n-th delay is min(initial * 2^n, cap) stretched by up to
// `jitter` times itself, so reflectors that failed together do not retry together. Randomness is
// injected (a function returning [0, 1)) so tests see an exact schedule.
#include <chrono>
#include <functional>

namespace kb::controller::kube {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration initial, Duration cap, double jitter, std::function<double()> random)
      : initial_(initial), cap_(cap), jitter_(jitter), random_(std::move(random)), next_(initial) {}

  Duration next() {
    const Duration base = next_;
    next_ = std::min(cap_, next_ * 2);
    const double r = random_ ? random_() : 0.0;
    return base + Duration(static_cast<Duration::rep>(static_cast<double>(base.count()) * jitter_ * r));
  }
  void reset() { next_ = initial_; }

 private:
  Duration initial_;
  Duration cap_;
  double jitter_;
  std::function<double()> random_;
  Duration next_;
};

}  // namespace kb::controller::kube
