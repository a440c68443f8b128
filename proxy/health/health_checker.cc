#include "proxy/health/health_checker.h"

#include <algorithm>
#include <atomic>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "proxy/core/health_state.h"
#include "proxy/health/http_probe.h"

namespace kb::proxy::health {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kMinInterval{100};

milliseconds effective_interval(const config::HealthCheck& hc) { return std::max(hc.interval, kMinInterval); }

// The request for one check of `member`; method "" = TCP connect.
ProbeRequest make_request(const config::Balancer& balancer, const core::Member& member) {
  const config::HealthCheck& hc = member.config->health_check;
  ProbeRequest r;
  r.host = member.host;
  r.port = member.port;
  r.host_header = member.host_header;
  r.timeout = check_timeout(balancer, *member.config);
  switch (hc.method) {
    case config::HcMethod::kNone:
    case config::HcMethod::kTcp: break;
    case config::HcMethod::kOptions11: r.http11 = true; [[fallthrough]];
    case config::HcMethod::kOptions: r.method = "OPTIONS"; break;
    case config::HcMethod::kHead11: r.http11 = true; [[fallthrough]];
    case config::HcMethod::kHead: r.method = "HEAD"; break;
    case config::HcMethod::kGet11: r.http11 = true; [[fallthrough]];
    case config::HcMethod::kGet: r.method = "GET"; break;
  }
  r.target = member.base_path + hc.uri;
  if (r.target.empty()) r.target = "/";
  return r;
}

std::string failure_reason(const config::HealthCheck& hc, const ProbeResult& result) {
  if (!result.complete) return result.error.empty() ? std::string("no response") : result.error;
  if (result.status < hc.expect_status_min || result.status > hc.expect_status_max)
    return "HTTP " + std::to_string(result.status);
  return "body does not contain \"" + hc.expect_body + "\"";
}

}  // namespace

milliseconds check_timeout(const config::Balancer& balancer, const config::Member& member) {
  milliseconds connect = member.connection_timeout   ? *member.connection_timeout
                         : member.timeout            ? *member.timeout
                                                     : balancer.connection_timeout;
  if (connect <= milliseconds::zero()) connect = milliseconds{5000};
  const milliseconds interval_cap = std::max(effective_interval(member.health_check), milliseconds{1000});
  return std::min({connect, interval_cap, milliseconds{5000}});
}

class HealthChecker::Schedule : public std::enable_shared_from_this<Schedule> {
 public:
  struct Target {
    std::shared_ptr<const core::Snapshot> snapshot;  // keeps the pointers below alive
    const config::Balancer* balancer = nullptr;
    const core::Member* member = nullptr;
  };

  Schedule(asio::io_context& context, std::shared_ptr<core::MemberState> state, Target target,
           HealthLog log, uint64_t seed)
      : strand_(asio::make_strand(context)),
        timer_(strand_),
        state_(std::move(state)),
        target_(std::move(target)),
        log_(std::move(log)),
        rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1)) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      // The first check falls anywhere in the first interval.
      const auto interval = effective_interval(self->target_.member->config->health_check);
      self->arm(milliseconds{self->uniform(static_cast<uint64_t>(interval.count()))});
    });
  }

  void retarget(Target target) {
    asio::post(strand_, [self = shared_from_this(), target = std::move(target)]() mutable {
      self->target_ = std::move(target);
    });
  }

  void stop() {
    stopped_.store(true);
    asio::post(strand_, [self = shared_from_this()] {
      self->timer_.cancel();
      if (auto probe = std::move(self->probe_)) probe->cancel();
      self->target_ = Target{};  // release the snapshot now
    });
  }

 private:
  uint64_t uniform(uint64_t bound) {  // [0, bound)
    if (bound == 0) return 0;
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(rng_);
  }

  void arm(milliseconds delay) {
    if (stopped_.load()) return;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->check();
    });
  }

  void arm_next() {
    const auto interval = effective_interval(target_.member->config->health_check);
    arm(interval + milliseconds{uniform(static_cast<uint64_t>(interval.count()) / 10 + 1)});
  }

  void check() {
    if (stopped_.load()) return;
    const config::HealthCheck& hc = target_.member->config->health_check;
    if (hc.method == config::HcMethod::kNone || state_->has(core::kStopped)) return arm_next();
    // The probe holds its callback and the schedule holds the probe: a weak reference here
    // keeps that from being a cycle that outlives a stopped io_context.
    probe_ = HttpProbe::start(strand_, make_request(*target_.balancer, *target_.member),
                              [weak = weak_from_this()](const ProbeResult& r) {
                                if (auto self = weak.lock()) self->on_result(r);
                              });
  }

  void on_result(const ProbeResult& result) {
    probe_.reset();
    if (stopped_.load()) return;
    const config::HealthCheck& hc = target_.member->config->health_check;
    const bool tcp = hc.method == config::HcMethod::kTcp;
    const bool ok = result.complete && (tcp || core::hc_response_ok(hc, result.status, result.body));
    const int status = result.status != 0 ? result.status : (ok ? 0 : -1);
    const uint32_t flags_before = state_->flags.load(std::memory_order_relaxed);
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               core::Clock::now().time_since_epoch()).count();
    const core::HcTransition t = core::hc_apply(*state_, hc, ok, status, now_ns);
    if (t != core::HcTransition::kNone && log_) {
      HealthEvent e;
      e.balancer = target_.balancer->name;
      e.member = target_.member->config->name.empty() ? target_.member->config->url : target_.member->config->name;
      if (t == core::HcTransition::kFailed) {
        e.from = "ok";
        e.to = "failed";
        e.reason = std::to_string(std::max(hc.fails, 1)) + " consecutive failed checks, last: " +
                   failure_reason(hc, result);
      } else {
        e.from = (flags_before & core::kHcFailed) != 0 ? "failed" : "error";
        e.to = "ok";
        e.reason = std::to_string(std::max(hc.passes, 1)) + " consecutive passed checks";
      }
      try {
        log_(e);
      } catch (...) {
        // A logging failure must not reach the io_context.
      }
    }
    arm_next();
  }

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::shared_ptr<core::MemberState> state_;
  Target target_;
  HealthLog log_;
  std::minstd_rand rng_;
  std::shared_ptr<HttpProbe> probe_;
  std::atomic<bool> stopped_{false};
};

HealthChecker::HealthChecker(std::vector<asio::io_context*> contexts, HealthLog log, uint64_t seed)
    : log_(std::move(log)), schedules_(std::move(contexts), seed == 0 ? std::random_device{}() : seed) {}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::update(std::shared_ptr<const core::Snapshot> snapshot) {
  schedules_.update(
      snapshot,
      [](const config::Balancer&, const core::Member& m) {
        return m.config->health_check.method != config::HcMethod::kNone;
      },
      // hcmethod turned None: no checker is left to clear C, so clear it now.
      [](const core::Member& m) { m.state->clear(core::kHcFailed); },
      [this](asio::io_context& ctx, const core::Member& m, Schedule::Target target, uint64_t seed) {
        return std::make_shared<Schedule>(ctx, m.state, std::move(target), log_, seed);
      });
}

void HealthChecker::stop() { schedules_.stop(); }

std::size_t HealthChecker::scheduled() const { return schedules_.size(); }

}  // namespace kb::proxy::health
