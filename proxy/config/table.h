#pragma once
// The balancer table: the contract between the controller (which renders it) and the proxy (which
// serves it). Plain values only, no behaviour: decoding lives in table_yaml.h, checks in
// validate.h. Names follow Apache httpd's mod_proxy / mod_proxy_balancer parameters so that a
// `<Proxy balancer://...>` block translates key by key (see docs/table-format.md).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kb::proxy::config {

using Duration = std::chrono::milliseconds;

enum class LbMethod { kByRequests, kByTraffic, kByBusyness, kHeartbeat };
enum class PathType { kExact, kPrefix };
enum class HcMethod { kNone, kTcp, kOptions, kHead, kGet, kOptions11, kHead11, kGet11 };

// Apache's member status flags (the `status=` parameter, e.g. "+H" or "D-E"). The initial value
// from the table; the live value is runtime state (core/member_state.h) that edits and errors change.
struct StatusFlags {
  bool disabled = false;       // D
  bool stopped = false;        // S
  bool ignore_errors = false;  // I
  bool hot_standby = false;    // H
  bool hot_spare = false;      // R
  bool in_error = false;       // E
  bool drain = false;          // N
  bool hc_failed = false;      // C
  friend bool operator==(const StatusFlags&, const StatusFlags&) = default;
};

// mod_proxy_hcheck parameters. `hcexpr` is replaced by a documented subset: expected status
// range and an optional body substring.
struct HealthCheck {
  HcMethod method = HcMethod::kNone;  // hcmethod
  std::string uri;                    // hcuri, appended to the member URL ("/healthz")
  Duration interval{30000};           // hcinterval (minimum 100 ms)
  int passes = 1;                     // hcpasses
  int fails = 1;                      // hcfails
  int expect_status_min = 200;        // hcexpect.status "200-399" (Apache: 2xx/3xx pass)
  int expect_status_max = 399;
  std::string expect_body;            // hcexpect.body: substring the body must contain; empty = any
  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

// The Kubernetes-friendly heartbeat lbmethod: the proxy polls `path` on each member, which answers
// `ready=N busy=M` (see docs/heartbeat.md).
struct Heartbeat {
  std::string path = "/heartbeat";
  Duration interval{1000};
  Duration max_age{10000};  // Apache ignores heartbeats older than 10 s
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// Proxy-inserted route cookie (Apache's documented ROUTEID recipe): Set-Cookie NAME=.<route>
// when BALANCER_ROUTE_CHANGED. Enabled when name is non-empty.
struct RouteCookie {
  std::string name;  // e.g. "ROUTEID"
  std::string path = "/";
  bool http_only = true;
  bool secure = false;
  std::string same_site;          // "", "Lax", "Strict", "None"
  std::optional<int64_t> max_age; // seconds; unset = session cookie
  std::string domain;             // Domain attribute; "" = the request's host only
  friend bool operator==(const RouteCookie&, const RouteCookie&) = default;
};

struct Member {
  std::string url;       // "http://10.0.0.7:8080" (scheme http only; optional base path)
  std::string name;      // identity for runtime state, manager and status; defaults to url
  std::string route;     // route=, up to 63 chars
  std::string redirect;  // redirect= (route to use when this member is unusable)
  double loadfactor = 1;  // 1..100
  int lbset = 0;          // 0..99
  StatusFlags status;     // initial flags
  Duration retry{60000};  // retry= seconds before a member in error is tried again
  std::optional<Duration> timeout;             // response timeout; default balancer's / proxy's
  std::optional<Duration> connection_timeout;  // default = timeout
  HealthCheck health_check;                    // defaults from the balancer's
  friend bool operator==(const Member&, const Member&) = default;
};

// Sticky session settings: stickysession=COOKIE|urlparam, stickysessionsep, scolonpathdelim.
struct StickySession {
  std::string cookie;             // first name of stickysession
  std::string url_param;          // second name; Apache uses the cookie name when none is given
  std::optional<char> separator = '.';  // stickysessionsep; nullopt = Off (the whole value is the route)
  bool scolon_path_delim = false;
  RouteCookie route_cookie;
  bool enabled() const { return !cookie.empty() || !url_param.empty(); }
  friend bool operator==(const StickySession&, const StickySession&) = default;
};

struct Balancer {
  std::string name;  // balancer://NAME
  LbMethod lbmethod = LbMethod::kByRequests;
  StickySession sticky;
  bool nofailover = false;
  std::optional<int> maxattempts;  // default: members - 1 (1 with a single member)
  Duration timeout{0};             // timeout=: wait this long for a usable member
  std::vector<int> failonstatus;
  bool failontimeout = false;
  bool forcerecovery = true;
  bool preserve_host = false;      // ProxyPreserveHost
  Duration member_timeout{60000};  // default member response timeout (ProxyTimeout)
  Duration connection_timeout{5000};  // default member connect timeout
  HealthCheck health_check;        // defaults for every member
  Heartbeat heartbeat;             // used with lbmethod heartbeat
  std::vector<Member> members;
  friend bool operator==(const Balancer&, const Balancer&) = default;
};

// --- Route matches and actions beyond host + path (Gateway API HTTPRoute, ingress-nginx) ---

enum class MatchType { kExact, kRegex };  // Gateway API's Exact / RegularExpression

// A request header or query parameter condition. Header names compare case-insensitively, query
// parameter names case-sensitively (Gateway API); a regex must match the whole value.
struct ValueMatch {
  std::string name;
  std::string value;  // the exact value, or an ECMAScript regex
  MatchType type = MatchType::kExact;
  friend bool operator==(const ValueMatch&, const ValueMatch&) = default;
};

// URL rewrite (Gateway API URLRewrite, ingress-nginx rewrite-target). At most one path form.
struct PathRewrite {
  std::string replace_full;    // the whole path becomes this
  std::string replace_prefix;  // the matched route prefix is replaced by this
  std::string regex;           // with `replacement`: nginx `rewrite regex replacement` ($1..$9)
  std::string replacement;
  std::string hostname;        // Host sent to the member (beats preservehost)
  bool empty() const { return replace_full.empty() && replace_prefix.empty() && regex.empty() && hostname.empty(); }
  friend bool operator==(const PathRewrite&, const PathRewrite&) = default;
};

// Redirect answered by the proxy itself (Gateway API RequestRedirect, ingress-nginx
// permanent-redirect / app-root). Unset parts keep the request's.
struct Redirect {
  std::string url;             // a literal Location (ingress-nginx permanent-redirect); excludes the rest
  std::string scheme;          // "http" / "https"
  std::string hostname;
  std::optional<uint16_t> port;
  std::string replace_full;    // path
  std::string replace_prefix;
  int status = 302;            // 301, 302, 303, 307, 308
  bool enabled() const {
    return !url.empty() || !scheme.empty() || !hostname.empty() || port || !replace_full.empty() ||
           !replace_prefix.empty();
  }
  friend bool operator==(const Redirect&, const Redirect&) = default;
};

// Gateway API HTTPHeaderFilter: set replaces, add appends, remove deletes (names case-insensitive).
struct HeaderModifier {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
  friend bool operator==(const HeaderModifier&, const HeaderModifier&) = default;
};

// One of several balancers a route splits its traffic between (Gateway API weighted backendRefs).
struct WeightedBackend {
  std::string balancer;
  int weight = 1;  // 0..1000000; 0 = no new sessions (existing ones stay, GEP-1619)
  friend bool operator==(const WeightedBackend&, const WeightedBackend&) = default;
};

// ingress-nginx canary rules: which of the route's backends is the canary and what forces a
// request onto it (header, then cookie, then the weights).
struct Canary {
  std::string balancer;     // one of the route's backends
  std::string header;       // "always" -> canary, "never" -> not, else (or headervalue) fall through
  std::string header_value; // when set: exactly this value -> canary, anything else falls through
  std::string cookie;       // "always" -> canary, "never" -> not, else the weights decide
  bool enabled() const { return !balancer.empty(); }
  friend bool operator==(const Canary&, const Canary&) = default;
};

struct Route {
  std::string host;  // "" = any host; "app.example.com" exact; "*.example.com" one label wildcard
  std::string path = "/";
  PathType path_type = PathType::kPrefix;
  std::string balancer;  // name of a Balancer in the table ("" with `backends` or a redirect)
  // Matches beyond host + path (all must hold); precedence in core/router.h.
  std::vector<std::string> methods;      // any of these ("GET"); empty = any method
  std::vector<ValueMatch> headers;
  std::vector<ValueMatch> query_params;
  // Actions, applied by the proxy in this order: allow, redirect, body limit, rewrite, headers.
  std::vector<std::string> allow;        // source CIDRs ("10.0.0.0/8", "::1/128"); empty = all; else 403
  Redirect redirect;                     // answered by the proxy; no balancer needed
  PathRewrite rewrite;
  HeaderModifier request_headers;
  HeaderModifier response_headers;
  std::optional<uint64_t> max_body_size;  // bytes; a larger request body gets 413
  std::optional<Duration> connect_timeout;  // overrides the members'
  std::optional<Duration> timeout;          // read (response) timeout
  std::optional<Duration> send_timeout;     // between two writes of the request to the member
  std::optional<int> maxattempts;           // overrides the balancer's
  std::vector<WeightedBackend> backends;  // instead of `balancer`: a weighted, sticky split
  Canary canary;
  // sslredirect: answer plain-HTTP requests with 308 to https://. Unset = on when the route's host
  // has a certificate in `tls` (as ingress-nginx), off otherwise (core/tls_policy.h decides).
  std::optional<bool> ssl_redirect{};
  friend bool operator==(const Route&, const Route&) = default;
};

// Strict-Transport-Security sent on HTTPS responses for the hosts of a `tls` entry.
struct Hsts {
  int64_t max_age = 31536000;  // maxage, seconds (one year, what browsers' preload lists ask)
  bool include_subdomains = false;
  bool preload = false;
  friend bool operator==(const Hsts&, const Hsts&) = default;
};

// A PEM certificate (full chain, leaf first) and its private key, as file paths: the table never
// holds key material. Loaded and checked where the table is applied (proxy/tls/).
struct CertificateFiles {
  std::string certificate;
  std::string key;
  friend bool operator==(const CertificateFiles&, const CertificateFiles&) = default;
};

// One `tls` entry: the hosts (exact or "*.example.com") served with one certificate.
struct TlsEntry {
  std::vector<std::string> hosts;
  CertificateFiles files;
  std::optional<Hsts> hsts;  // unset = no Strict-Transport-Security header
  friend bool operator==(const TlsEntry&, const TlsEntry&) = default;
};

struct Table {
  std::vector<Balancer> balancers;
  std::vector<Route> routes;
  std::string default_backend;  // balancer name for requests no route matches; "" = 404
  std::vector<TlsEntry> tls;    // certificates selected by SNI (docs/tls.md)
  // For unknown or absent SNI; unset = a self-signed certificate generated at startup.
  std::optional<CertificateFiles> default_certificate;
  friend bool operator==(const Table&, const Table&) = default;
};

}  // namespace kb::proxy::config
