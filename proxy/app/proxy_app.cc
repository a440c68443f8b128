#include "proxy/app/proxy_app.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/post.hpp>

#include "proxy/admin/manager/form.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::app {

namespace asio = boost::asio;

ProxyApp::ProxyApp(Options options)
    : options_(std::move(options)), control_(1), signals_(control_, SIGTERM, SIGINT, SIGHUP) {
  log_.open(options_.error_log);
  log_.set_level(options_.log_level);
  access_log_ = std::make_unique<AccessLog>(options_.access_log);

  std::string error;
  auto allow = admin::AccessPolicy::parse_list(options_.manager_allow, error);
  if (!allow) throw std::runtime_error("--manager-allow: " + error);
  std::string token;
  if (!options_.manager_token_file.empty()) {
    std::ifstream in(options_.manager_token_file);
    if (!in) throw std::runtime_error("cannot read --manager-token-file " + options_.manager_token_file);
    std::getline(in, token);
    if (token.empty()) throw std::runtime_error("--manager-token-file " + options_.manager_token_file + " is empty");
  }
  auto current_fn = [this] { return current(nullptr); };
  admin::ManagerHooks hooks;
  hooks.current = current_fn;
  hooks.republish = [this] { republish(); };
  hooks.on_edit = [this](const std::string& balancer, const std::string& member, const admin::MemberEdit&) {
    log_.info("balancer-manager: edited member " + member + " of balancer " + balancer);
  };
  manager_ = std::make_unique<admin::BalancerManager>(admin::AccessPolicy(std::move(*allow), token), edits_,
                                                      std::move(hooks));
  metrics_ = std::make_unique<admin::ProxyMetrics>(current_fn);
}

ProxyApp::~ProxyApp() = default;

std::shared_ptr<const core::Snapshot> ProxyApp::current(admin::TableInfo* info) const {
  std::lock_guard lock(current_mutex_);
  if (info != nullptr) *info = info_;
  return current_;
}

// Runs on the control thread (startup and every reload). Throws on a table that cannot be built
// (the watcher then keeps the old table).
void ProxyApp::publish(const config::Table& table) {
  config::Table edited = table;
  edits_.apply(edited);  // balancer-manager edits survive reloads (Apache's BalancerPersist)
  auto snapshot = core::build_snapshot(std::move(edited), registry_, generation_ + 1);
  ++generation_;
  if (server_ && started_) server_->publish(snapshot);
  if (health_) health_->update(snapshot);
  if (heartbeat_) heartbeat_->update(snapshot);
  std::lock_guard lock(current_mutex_);
  current_ = std::move(snapshot);
  info_.generation = generation_;
  info_.source = options_.table;
  info_.loaded_at = std::chrono::system_clock::now();
}

// Control thread: loads the certificates the table names; they go live with the table.
TableWatcher::Prepared ProxyApp::prepare_tls(const config::Table& table) {
  tls::TlsTerminator::Prepared p = tls_->prepare(table);
  TableWatcher::Prepared out;
  out.errors = std::move(p.errors);
  if (!out.errors.empty()) return out;
  out.commit = [this, set = std::move(p.set)] {
    if (set == tls_->current()) return;
    tls_->publish(set);
    log_.info("tls: serving " + std::to_string(set->size() - 1) + " certificates (+ the default: " +
              set->certificate_for("").subject + ")");
  };
  return out;
}

void ProxyApp::republish() {
  // The watcher's table and the generation belong to the control thread: run there and wait (the
  // control thread never waits for the admin thread, so this cannot deadlock; the bound covers a
  // control loop that has already stopped for shutdown).
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  asio::post(control_, [this, done] {
    if (watcher_ && watcher_->current()) {
      try {
        publish(*watcher_->current());
      } catch (const std::exception& e) {
        log_.error(std::string("balancer-manager edit could not be applied: ") + e.what());
      }
    }
    done->set_value();
  });
  finished.wait_for(std::chrono::seconds(5));
}

void ProxyApp::register_admin_handlers() {
  using admin::AdminRequest;
  using admin::AdminResponse;
  admin_->handle("/healthz", [](const AdminRequest&) { return AdminResponse::text(200, "ok\n"); });
  admin_->handle("/readyz", [this](const AdminRequest&) {
    return ready_ ? AdminResponse::text(200, "ready\n") : AdminResponse::text(503, "not ready\n");
  });
  admin_->handle("/api/balancers", [this](const AdminRequest& req) {
    // ?name=A&name=B: only those balancers (names percent-encoded).
    const auto query = admin::parse_query(req.query);
    if (!query) return AdminResponse::error(400, "bad percent-encoding in the query");
    std::set<std::string, std::less<>> names;
    for (const auto& [key, value] : *query) {
      if (key == "name") names.insert(value);
    }
    admin::TableInfo info;
    auto snap = current(&info);
    if (!snap) return AdminResponse::error(503, "no table loaded");
    return AdminResponse::json(
        200, admin::balancers_json(snap->balancers, info, core::Clock::now(), names.empty() ? nullptr : &names));
  });
  admin_->handle_prefix("/api/balancers/", [this](const AdminRequest& req) {
    admin::TableInfo info;
    auto snap = current(&info);
    if (!snap) return AdminResponse::error(503, "no table loaded");
    std::string name = req.path.substr(std::string_view("/api/balancers/").size());
    std::string body = admin::balancer_json(snap->balancers, name, info, core::Clock::now());
    if (body.empty()) return AdminResponse::error(404, "no balancer named '" + name + "'");
    return AdminResponse::json(200, std::move(body));
  });
  // The controller saves these in the BalancerCluster and acknowledges each one it handled
  // (docs/balancer-manager.md, "Where edits live").
  admin_->handle("/api/edits",
                 [this](const AdminRequest&) { return AdminResponse::json(200, admin::edits_json(edits_)); });
  admin_->handle("/api/edits/ack", [this](const AdminRequest& req) {
    if (req.method != "POST") return AdminResponse::error(405, "POST an acknowledgement");
    // Only the controller in this pod acknowledges: the admin port may listen on every address.
    if (req.client_ip != "127.0.0.1" && req.client_ip != "::1" && req.client_ip != "::ffff:127.0.0.1") {
      return AdminResponse::error(403, "/api/edits/ack is for the controller on loopback only");
    }
    std::string error;
    const auto ack = admin::parse_edit_ack(req.body, error);
    if (!ack) return AdminResponse::error(400, "/api/edits/ack: " + error);
    const bool matched = edits_.acknowledge(ack->balancer, ack->member, ack->seq, ack->state, ack->note);
    if (matched) {
      log_.info("balancer-manager: edit of member " + ack->member + " of balancer " + ack->balancer + " " +
                admin::to_string(ack->state) + (ack->note.empty() ? "" : " (" + ack->note + ")"));
      // A saved edit the current table already carries is dropped now: the table rules from here.
      if (ack->state == admin::EditState::kSaved) republish();
    }
    return AdminResponse::json(200, matched ? "{\"acknowledged\":true}" : "{\"acknowledged\":false}");
  });
  admin_->handle("/api/state", [this](const AdminRequest&) {
    auto snap = current(nullptr);
    if (!snap) return AdminResponse::error(503, "no table loaded");
    return AdminResponse::json(200, admin::state_json(state_version_.observe(*snap)));
  });
  admin_->handle("/balancer-manager",
                 [this](const AdminRequest& req) { return manager_->handle(req, req.client_ip); });
  admin_->handle("/metrics", [this](const AdminRequest&) {
    const net::ServerStats& s = server_->stats();
    const admin::ServerCounters counters{s.tls_handshakes.load(std::memory_order_relaxed),
                                         s.tls_resumed.load(std::memory_order_relaxed),
                                         s.tls_handshake_failures.load(std::memory_order_relaxed)};
    AdminResponse r = AdminResponse::text(200, metrics_->scrape(&counters));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

void ProxyApp::write_port_file() {
  if (options_.port_file.empty()) return;
  // Temp + rename: a test polling the file never reads half of it.
  std::string tmp = options_.port_file + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write port file " + tmp);
  if (server_->https_port() != 0) {
    std::fprintf(f, "proxy=%u admin=%u https=%u\n", server_->port(), admin_->port(), server_->https_port());
  } else {
    std::fprintf(f, "proxy=%u admin=%u\n", server_->port(), admin_->port());
  }
  std::fclose(f);
  if (std::rename(tmp.c_str(), options_.port_file.c_str()) != 0) {
    throw std::runtime_error("cannot rename port file to " + options_.port_file);
  }
}

void ProxyApp::await_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    on_signal(signo);
  });
}

void ProxyApp::on_signal(int signo) {
  if (signo == SIGHUP) {
    watcher_->reload("SIGHUP");
    await_signal();
    return;
  }
  log_.info(std::string("received ") + (signo == SIGTERM ? "SIGTERM" : "SIGINT") +
            ", shutting down (grace " + std::to_string(options_.shutdown_grace.count()) + " ms)");
  ready_ = false;  // /readyz fails first, so a load balancer stops sending new connections
  watcher_->stop();
  control_.stop();
}

int ProxyApp::run() {
  net::ServerOptions so;
  so.listen_address = options_.listen.host;
  so.listen_port = options_.listen.port;
  if (options_.https_listen) {
    so.https_listen = true;
    so.https_listen_address = options_.https_listen->host;
    so.https_listen_port = options_.https_listen->port;
  }
  so.h2c = options_.h2c;
  std::string trusted_error;
  so.trusted_proxies = core::CidrSet::parse(options_.trusted_proxies, trusted_error).value_or(core::CidrSet());
  so.workers = options_.workers > 0 ? options_.workers
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  so.max_body_bytes = options_.max_body_bytes;
  so.max_header_bytes = options_.max_header_bytes;
  so.max_header_count = options_.max_header_count;
  so.max_request_line = options_.max_request_line;
  so.client_header_timeout = options_.header_timeout;
  so.idle_timeout = options_.idle_timeout;
  so.body_timeout = options_.body_timeout;
  so.min_body_rate = options_.min_body_rate;
  so.max_connections = options_.max_connections;
  AccessLog* access = access_log_.get();
  net::AccessLogSink sink;
  if (access->enabled()) sink = [access](const net::RequestRecord& r) { access->record(r); };
  if (options_.https_listen) {
    tls::TlsSettings ts;
    ts.http2 = true;  // ALPN: h2, then http/1.1 (proxy/net/h2_connection.h)
    ts.log_info = [this](const std::string& line) { log_.info(line); };
    tls_ = std::make_unique<tls::TlsTerminator>(std::move(ts));
  }
  server_ = std::make_unique<net::ProxyServer>(so, std::move(sink), tls_.get());
  admin_ = std::make_unique<admin::AdminServer>(admin::AdminOptions{options_.admin.host, options_.admin.port});
  register_admin_handlers();

  TableWatcher::Options wo;
  wo.debounce = options_.reload_debounce;
  watcher_ = std::make_unique<TableWatcher>(control_, options_.table, log_,
                                            [this](const config::Table& t) { publish(t); }, wo);
  watcher_->on_result([this](bool ok) { metrics_->table_reloaded(ok, generation_); });
  if (tls_) watcher_->on_prepare([this](const config::Table& t) { return prepare_tls(t); });
  if (!watcher_->reload("startup")) {
    log_.error("no valid table at startup, exiting: " + options_.table);
    return 1;
  }

  try {
    server_->bind();
    admin_->bind();
  } catch (const std::exception& e) {
    log_.error(std::string("cannot listen: ") + e.what());
    return 1;
  }

  std::vector<asio::io_context*> contexts;
  for (std::size_t i = 0; i < server_->worker_count(); ++i) contexts.push_back(&server_->worker_context(i));
  health_ = std::make_unique<health::HealthChecker>(contexts, [this](const health::HealthEvent& e) {
    log_.warn("health: balancer " + e.balancer + " member " + e.member + " " + e.from + " -> " + e.to +
              ": " + e.reason);
  });

  heartbeat_ = std::make_unique<health::HeartbeatPoller>(contexts);

  server_->publish(current(nullptr));
  server_->start();
  started_ = true;
  health_->update(current(nullptr));
  heartbeat_->update(current(nullptr));
  admin_->start();
  watcher_->start();
  write_port_file();
  ready_ = true;
  const std::string https =
      server_->https_port() != 0 ? ", https " + so.https_listen_address + ":" + std::to_string(server_->https_port()) : "";
  log_.info("listening on " + options_.listen.host + ":" + std::to_string(server_->port()) + https + " (admin " +
            options_.admin.host + ":" + std::to_string(admin_->port()) + ", " +
            std::to_string(so.workers) + " workers)");

  await_signal();
  control_.run();  // until SIGTERM/SIGINT

  // Default dispositions again: a second Ctrl-C or SIGTERM during the grace period ends the
  // process at once instead of waiting for in-flight requests.
  boost::system::error_code ignored;
  signals_.clear(ignored);
  health_->stop();
  heartbeat_->stop();
  server_->shutdown(options_.shutdown_grace);
  admin_->stop();
  access_log_->flush();
  log_.info("stopped");
  return 0;
}

}  // namespace kb::proxy::app
