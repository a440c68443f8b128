#include "proxy/health/heartbeat_poller.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "proxy/health/health_checker.h"
#include "proxy/health/http_probe.h"

namespace kb::proxy::health {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kMinInterval{100};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<int32_t> parse_count(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  if (v < 0 || v > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(v);
}

// "ready=8&busy=2" or "ready=8 busy=2".
std::optional<HeartbeatReport> parse_pairs(std::string_view body) {
  std::optional<int32_t> ready, busy;
  while (!body.empty()) {
    const std::size_t end = body.find_first_of("& \t\r\n");
    std::string_view token = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    if (token.empty()) continue;
    const std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = token.substr(0, eq);
    if (key != "ready" && key != "busy") continue;  // unknown keys are allowed
    auto value = parse_count(token.substr(eq + 1));
    if (!value) return std::nullopt;
    (key == "ready" ? ready : busy) = value;
  }
  if (!ready) return std::nullopt;
  return HeartbeatReport{*ready, busy.value_or(0)};
}

// The integer after `"key"` and a colon in a flat JSON object.
std::optional<int32_t> json_member(std::string_view body, std::string_view key, bool& present) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  std::size_t pos = body.find(quoted);
  present = pos != std::string_view::npos;
  if (!present) return std::nullopt;
  pos += quoted.size();
  while (pos < body.size() && is_space(body[pos])) ++pos;
  if (pos >= body.size() || body[pos] != ':') return std::nullopt;
  ++pos;
  while (pos < body.size() && is_space(body[pos])) ++pos;
  std::size_t end = pos;
  while (end < body.size() && (std::isdigit(static_cast<unsigned char>(body[end])) || body[end] == '-')) ++end;
  return parse_count(body.substr(pos, end - pos));
}

std::optional<HeartbeatReport> parse_json(std::string_view body) {
  if (body.size() < 2 || body.back() != '}') return std::nullopt;
  bool has_ready = false, has_busy = false;
  auto ready = json_member(body, "ready", has_ready);
  auto busy = json_member(body, "busy", has_busy);
  if (!ready || (has_busy && !busy)) return std::nullopt;
  return HeartbeatReport{*ready, busy.value_or(0)};
}

}  // namespace

std::optional<HeartbeatReport> parse_heartbeat(std::string_view body) {
  body = trim(body);
  if (body.empty()) return std::nullopt;
  if (body.front() == '{') return parse_json(body);
  return parse_pairs(body);
}

class HeartbeatPoller::Schedule : public std::enable_shared_from_this<Schedule> {
 public:
  struct Target {
    std::shared_ptr<const core::Snapshot> snapshot;  // keeps the pointers below alive
    const config::Balancer* balancer = nullptr;
    const core::Member* member = nullptr;
  };

  Schedule(asio::io_context& context, std::shared_ptr<core::MemberState> state, Target target, uint64_t seed)
      : strand_(asio::make_strand(context)),
        timer_(strand_),
        state_(std::move(state)),
        target_(std::move(target)),
        rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1)) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      self->arm(milliseconds{self->uniform(static_cast<uint64_t>(self->interval().count()))});
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
      self->target_ = Target{};
    });
  }

 private:
  milliseconds interval() const { return std::max(target_.balancer->heartbeat.interval, kMinInterval); }

  uint64_t uniform(uint64_t bound) {
    if (bound == 0) return 0;
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(rng_);
  }

  void arm(milliseconds delay) {
    if (stopped_.load()) return;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->poll();
    });
  }

  void arm_next() {
    const auto i = interval();
    arm(i + milliseconds{uniform(static_cast<uint64_t>(i.count()) / 10 + 1)});
  }

  void poll() {
    if (stopped_.load()) return;
    const core::Member& m = *target_.member;
    ProbeRequest r;
    r.host = m.host;
    r.port = m.port;
    r.host_header = m.host_header;
    r.method = "GET";
    r.target = m.base_path + target_.balancer->heartbeat.path;
    if (r.target.empty()) r.target = "/";
    // A report must arrive well within its interval to be worth anything.
    r.timeout = std::min(check_timeout(*target_.balancer, *m.config), std::max(interval(), milliseconds{1000}));
    r.body_limit = 4096;
    // Weak, as in HealthChecker: the schedule holds the probe, the probe must not hold it back.
    probe_ = HttpProbe::start(strand_, std::move(r), [weak = weak_from_this()](const ProbeResult& res) {
      if (auto self = weak.lock()) self->on_result(res);
    });
  }

  void on_result(const ProbeResult& result) {
    probe_.reset();
    if (stopped_.load()) return;
    if (result.complete && result.status >= 200 && result.status < 300) {
      if (auto report = parse_heartbeat(result.body)) {
        const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   core::Clock::now().time_since_epoch()).count();
        state_->hb_busy.store(report->busy, std::memory_order_relaxed);
        state_->hb_seen_ns.store(now_ns, std::memory_order_release);
        state_->hb_ready.store(report->ready, std::memory_order_release);
      }
    }
    arm_next();
  }

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::shared_ptr<core::MemberState> state_;
  Target target_;
  std::minstd_rand rng_;
  std::shared_ptr<HttpProbe> probe_;
  std::atomic<bool> stopped_{false};
};

HeartbeatPoller::HeartbeatPoller(std::vector<asio::io_context*> contexts, uint64_t seed)
    : schedules_(std::move(contexts), seed == 0 ? std::random_device{}() : seed) {}

HeartbeatPoller::~HeartbeatPoller() { stop(); }

void HeartbeatPoller::update(std::shared_ptr<const core::Snapshot> snapshot) {
  schedules_.update(
      snapshot,
      [](const config::Balancer& b, const core::Member&) { return b.lbmethod == config::LbMethod::kHeartbeat; },
      [](const core::Member&) {},
      [](asio::io_context& ctx, const core::Member& m, Schedule::Target target, uint64_t seed) {
        return std::make_shared<Schedule>(ctx, m.state, std::move(target), seed);
      });
}

void HeartbeatPoller::stop() { schedules_.stop(); }

std::size_t HeartbeatPoller::scheduled() const { return schedules_.size(); }

}  // namespace kb::proxy::health
