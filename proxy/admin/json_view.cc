#include "proxy/admin/json_view.h"

#include <ctime>

#include "proxy/admin/json_writer.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::admin {

namespace {

struct FlagName {
  uint32_t bit;
  char letter;
  const char* name;
};
constexpr FlagName kFlags[] = {
    {core::kDisabled, 'D', "disabled"},    {core::kStopped, 'S', "stopped"},
    {core::kIgnoreErrors, 'I', "ignore_errors"}, {core::kHotStandby, 'H', "hot_standby"},
    {core::kHotSpare, 'R', "hot_spare"},   {core::kInError, 'E', "in_error"},
    {core::kDrain, 'N', "drain"},          {core::kHcFailed, 'C', "hc_failed"},
};

int64_t ms_since(int64_t steady_ns, core::TimePoint now) {
  if (steady_ns == 0) return -1;
  auto then = core::TimePoint(std::chrono::nanoseconds(steady_ns));
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then).count();
}

void write_health_check(JsonWriter& w, const config::HealthCheck& hc, const core::MemberState& s,
                        core::TimePoint now) {
  w.key("health_check").begin_object();
  w.field("method", config::to_string(hc.method));
  w.field("uri", hc.uri);
  w.field("interval_ms", static_cast<int64_t>(hc.interval.count()));
  w.field("passes", hc.passes).field("fails", hc.fails);
  int64_t last = s.hc_last_check_ns.load(std::memory_order_relaxed);
  const char* state = "unknown";
  if (hc.method != config::HcMethod::kNone && last != 0) {
    state = s.has(core::kHcFailed) ? "failing" : "passing";
  } else if (hc.method == config::HcMethod::kNone) {
    state = "disabled";
  }
  w.field("state", state);
  w.field("last_check_ms_ago", ms_since(last, now));
  w.field("last_status", static_cast<int64_t>(s.hc_last_status.load(std::memory_order_relaxed)));
  w.field("last_ok", s.hc_last_ok.load(std::memory_order_relaxed));
  w.field("pass_count", static_cast<int64_t>(s.hc_pass_count.load(std::memory_order_relaxed)));
  w.field("fail_count", static_cast<int64_t>(s.hc_fail_count.load(std::memory_order_relaxed)));
  w.end_object();
}

}  // namespace

std::string status_letters(uint32_t flags) {
  std::string out;
  for (const auto& f : kFlags) {
    if (flags & f.bit) {
      out += '+';
      out += f.letter;
    }
  }
  return out.empty() ? "Ok" : out;
}

bool member_usable(uint32_t flags) {
  return (flags & (core::kDisabled | core::kStopped | core::kInError | core::kHcFailed)) == 0;
}

void write_member(JsonWriter& w, const core::Member& member, core::TimePoint now) {
  const config::Member& c = *member.config;
  const core::MemberState& s = *member.state;
  uint32_t flags = s.flags.load(std::memory_order_relaxed);
  w.begin_object();
  w.field("name", c.name).field("url", c.url).field("route", c.route).field("redirect", c.redirect);
  w.field("loadfactor", s.lbfactor.load(std::memory_order_relaxed) / 100.0);
  w.field("lbset", static_cast<int64_t>(s.lbset.load(std::memory_order_relaxed)));
  w.field("status", status_letters(flags));
  w.key("flags").begin_object();
  for (const auto& f : kFlags) w.field(f.name, (flags & f.bit) != 0);
  w.end_object();
  w.field("usable", member_usable(flags));
  w.field("elected", s.elected.load(std::memory_order_relaxed));
  w.field("busy", s.busy.load(std::memory_order_relaxed));
  w.field("lbstatus", s.lbstatus.load(std::memory_order_relaxed));
  w.field("transferred", s.transferred.load(std::memory_order_relaxed));
  w.field("read", s.read.load(std::memory_order_relaxed));
  w.field("retries", static_cast<uint64_t>(s.retries.load(std::memory_order_relaxed)));
  w.field("sticky_hits", s.sticky_hits.load(std::memory_order_relaxed));
  w.field("sticky_failovers", s.sticky_failovers.load(std::memory_order_relaxed));
  w.field("error_ms_ago",
          (flags & core::kInError) ? ms_since(s.error_time_ns.load(std::memory_order_relaxed), now) : -1);
  write_health_check(w, c.health_check, s, now);
  w.key("heartbeat").begin_object();
  w.field("ready", static_cast<int64_t>(s.hb_ready.load(std::memory_order_relaxed)));
  w.field("busy", static_cast<int64_t>(s.hb_busy.load(std::memory_order_relaxed)));
  w.field("seen_ms_ago", ms_since(s.hb_seen_ns.load(std::memory_order_relaxed), now));
  w.end_object();
  w.end_object();
}

void write_balancer(JsonWriter& w, const core::Balancer& balancer, core::TimePoint now) {
  const config::Balancer& c = balancer.config();
  w.begin_object();
  w.field("name", c.name);
  w.field("lbmethod", config::to_string(c.lbmethod));
  w.key("stickysession").begin_object();
  w.field("cookie", c.sticky.cookie).field("url_param", c.sticky.url_param);
  w.key("separator");
  if (c.sticky.separator) {
    w.value(std::string_view(&*c.sticky.separator, 1));
  } else {
    w.null();
  }
  w.field("route_cookie", c.sticky.route_cookie.name);
  w.end_object();
  w.field("nofailover", c.nofailover);
  w.field("maxattempts", balancer.max_attempts());
  w.field("timeout_ms", static_cast<int64_t>(c.timeout.count()));
  w.key("failonstatus").begin_array();
  for (int s : c.failonstatus) w.value(s);
  w.end_array();
  w.field("failontimeout", c.failontimeout);
  w.field("forcerecovery", c.forcerecovery);
  w.key("members").begin_array();
  for (const auto& m : balancer.members()) write_member(w, m, now);
  w.end_array();
  w.end_object();
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string balancers_json(std::span<const std::unique_ptr<core::Balancer>> balancers,
                           const TableInfo& info, core::TimePoint now,
                           const std::set<std::string, std::less<>>* only) {
  JsonWriter w;
  w.begin_object();
  w.field("generation", info.generation);
  w.field("source", info.source);
  w.field("loaded_at", iso8601_utc(info.loaded_at));
  w.key("balancers").begin_array();
  for (const auto& b : balancers) {
    if (only == nullptr || only->contains(b->config().name)) write_balancer(w, *b, now);
  }
  w.end_array();
  w.end_object();
  return w.take() + "\n";
}

std::string balancer_json(std::span<const std::unique_ptr<core::Balancer>> balancers,
                          std::string_view name, const TableInfo& info, core::TimePoint now) {
  for (const auto& b : balancers) {
    if (b->config().name != name) continue;
    JsonWriter w;
    w.begin_object();
    w.field("generation", info.generation);
    w.field("source", info.source);
    w.key("balancer");
    write_balancer(w, *b, now);
    w.end_object();
    return w.take() + "\n";
  }
  return {};
}

}  // namespace kb::proxy::admin
