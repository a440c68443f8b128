#include "controller/runtime/controller.h"

#include <arpa/inet.h>

#include <algorithm>

#include <utility>

#include "controller/kube/member_overrides.h"
#include "controller/kube/proxy_admin.h"
#include "controller/kube/publish_service.h"
#include "proxy/config/table_cache.h"

namespace kb::controller::runtime {
namespace kr = kb::controller::kube::resources;

namespace {

bool is_ip(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

Controller::Controller(kube::KubeApi& api, ControllerOptions options, const Clock& clock, Logger log)
    : api_(api), options_(std::move(options)), clock_(clock), log_(std::move(log)), builder_(log_),
      publisher_(options_.table_out),
      status_writer_(api, clock, StatusWriterOptions{std::chrono::seconds(30), "kube-balancer-controller",
                                                     options_.lease.identity, std::chrono::milliseconds(1000)},
                     log_) {
  auto on_change = [this](const kube::Resource&) { notify(); };
  auto add = [&](kube::Store& store, const kube::Resource& resource, const std::string& field_selector = "") {
    std::vector<std::string> scopes = options_.namespaces;
    if (scopes.empty() || !resource.namespaced) scopes = {""};
    for (const auto& ns : scopes) {
      kube::ReflectorOptions ro = options_.reflector;
      ro.watch_timeout_seconds = options_.watch_timeout_seconds;
      ro.field_selector = field_selector;
      if (options_.metrics) {
        ControllerMetrics* metrics = options_.metrics;
        const std::string name = resource.resource;
        ro.on_restart = [metrics, name](const std::string& reason) { metrics->watch_restart(name, reason); };
      }
      reflectors_.push_back(std::make_unique<kube::Reflector>(api_, resource, ns, store, on_change, ro, log_));
    }
  };
  add(stores_.ingresses, kr::ingresses());
  add(stores_.ingress_classes, kr::ingress_classes());
  add(stores_.services, kr::services());
  add(stores_.endpoint_slices, kr::endpoint_slices());
  add(stores_.balancer_clusters, kr::balancer_clusters());
  // The --publish-service Service is in the services store when its namespace is watched anyway.
  if (const auto ps = kube::parse_publish_service(options_.publish_service)) {
    const auto& watched = options_.namespaces;
    if (!watched.empty() && std::find(watched.begin(), watched.end(), ps->first) == watched.end()) {
      kube::ReflectorOptions ro = options_.reflector;
      ro.watch_timeout_seconds = options_.watch_timeout_seconds;
      reflectors_.push_back(std::make_unique<kube::Reflector>(api_, kr::services(), ps->first, publish_services_,
                                                              on_change, ro, log_));
    }
  }
  if (!options_.proxy_admin.empty()) edit_sync_ = std::make_unique<EditSync>(api_, options_.proxy_admin, log_);
  if (!options_.tls_dir.empty()) {
    while (options_.tls_dir.size() > 1 && options_.tls_dir.back() == '/') options_.tls_dir.pop_back();
    tls_files_.emplace(options_.tls_dir);
    // Only TLS Secrets travel, and the store keeps only those spec.tls names (admit_secrets).
    stores_.secrets.admit_only({});
    const size_t first = reflectors_.size();
    add(stores_.secrets, kr::secrets(), std::string("type=") + kube::kTlsSecretType);
    for (size_t i = first; i < reflectors_.size(); ++i) secret_reflectors_.push_back(reflectors_[i].get());
  }
  if (options_.gateway_api) {
    add(stores_.gateway_classes, kr::gateway_classes());
    add(stores_.gateways, kr::gateways());
    add(stores_.http_routes, kr::http_routes());
    add(stores_.reference_grants, kr::reference_grants());
  }
  if (options_.leader_elect) {
    elector_ = std::make_unique<LeaderElector>(api_, options_.lease, clock_, log_);
  }
}

Controller::~Controller() {
  stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Controller::log(const std::string& message) const {
  if (log_) log_(message);
}

void Controller::notify() {
  {
    std::lock_guard lock(mutex_);
    changed_ = true;
  }
  wake_.notify_all();
}

bool Controller::all_synced() const {
  for (const auto& r : reflectors_) {
    if (!r->has_synced() || r->relisting()) return false;
  }
  return true;
}

// The Secret store keeps only the Secrets spec.tls names. When a name is added, the Secrets
// reflectors list again and this reconcile is dropped: publishing now would render the new
// reference as a missing Secret. Their LIST wakes the loop again.
bool Controller::admit_secrets(const reconcile::Output& output) {
  if (secret_reflectors_.empty() || !stores_.secrets.admit_only(output.tls_secrets)) return true;
  for (kube::Reflector* r : secret_reflectors_) r->relist();
  return false;
}

// Certificate files first, then the table that names them; files no table needs go after.
bool Controller::publish(const reconcile::Output& output) {
  try {
    if (tls_files_) tls_files_->write(output.tls_files);
  } catch (const std::exception& e) {
    log(std::string("writing TLS files failed (the proxy keeps the previous table): ") + e.what());
    return false;
  }
  const std::string bytes = emitter_.emit(output.table);  // re-emits only changed balancers
  try {
    if (!publisher_.publish(bytes)) return true;
  } catch (const std::exception& e) {
    log(std::string("publish failed (the proxy keeps the previous table): ") + e.what());
    return false;
  }
  if (options_.metrics) options_.metrics->table_published();
  log("published table: " + std::to_string(output.table.balancers.size()) + " balancers, " +
      std::to_string(output.table.routes.size()) + " routes, " + std::to_string(output.table.tls.size()) +
      " tls -> " + publisher_.path());
  if (tls_files_) tls_files_->published(output.tls_files);
  return true;
}

void Controller::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  wake_.notify_all();
  for (auto& r : reflectors_) r->stop();
  if (elector_) elector_->stop();
}

void Controller::reconcile_and_publish() {
  reconcile::Options ro;
  ro.ingress_class_name = options_.ingress_class;
  ro.also_serve_ingress_class = options_.also_serve_ingress_class;
  ro.watch_all_namespaces = options_.namespaces.size() != 1;
  if (options_.namespaces.size() == 1) ro.watch_namespace = options_.namespaces[0];
  ro.status_addresses = status_addresses();
  ro.tls_dir = options_.tls_dir;
  ro.now_unix = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  const auto started = std::chrono::steady_clock::now();
  reconcile::Snapshot snapshot = builder_.build(stores_);
  snapshot.previous_tls = tls_in_use_;
  reconcile::Output output = reconcile::reconcile(snapshot, ro);
  if (!admit_secrets(output)) return;
  if (publish(output)) tls_in_use_ = output.tls_in_use;
  if (options_.metrics) {
    options_.metrics->reconcile_duration(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  last_output_ = std::move(output);
}

// --publish-service's addresses when it names a Service that has some, else --publish-address.
std::vector<kube::LoadBalancerIngress> Controller::status_addresses() {
  std::vector<kube::LoadBalancerIngress> out;
  if (const auto ps = kube::parse_publish_service(options_.publish_service)) {
    const std::string key = ps->first + "/" + ps->second;
    auto raw = stores_.services.get(key);
    if (!raw) raw = publish_services_.get(key);
    std::string note;
    try {
      if (raw) out = kube::publish_addresses(raw->json);
      if (!raw) note = "--publish-service: no Service " + key;
      else if (out.empty()) note = "--publish-service: Service " + key + " has no address yet";
    } catch (const std::exception& e) {
      note = std::string("--publish-service: ") + e.what();
    }
    if (note != publish_note_ && !note.empty()) log(note + (options_.publish_address.empty() ? "" : "; using --publish-address"));
    publish_note_ = note;
    if (!out.empty()) return out;
  }
  if (!options_.publish_address.empty()) {
    kube::LoadBalancerIngress address;
    (is_ip(options_.publish_address) ? address.ip : address.hostname) = options_.publish_address;
    out.push_back(address);
  }
  return out;
}

// The proxy's state version moved since the last ask (the first answer counts as a move).
bool Controller::proxy_state_changed() {
  try {
    const uint64_t version = kube::fetch_proxy_state_version(options_.proxy_admin);
    const bool changed = proxy_state_ != version;
    proxy_state_ = version;
    return changed;
  } catch (const std::exception&) {
    // Unreachable: the periodic status write reports the proxy as unavailable.
    const bool changed = proxy_state_.has_value();
    proxy_state_.reset();
    return changed;
  }
}

std::optional<std::chrono::milliseconds> Controller::write_status(const reconcile::Output& output) {
  std::optional<kube::ProxyStats> live;
  if (!options_.proxy_admin.empty()) {
    std::vector<std::string> names;  // only BalancerClusters have a status to fill
    for (const auto& update : output.balancer_cluster_statuses) names.push_back(update.balancer);
    try {
      live = kube::fetch_proxy_stats(options_.proxy_admin, names);
    } catch (const std::exception& e) {
      log(e.what());
    }
  }
  std::map<std::string, kube::BalancerCluster> clusters;
  std::map<std::string, kube::Ingress> ingresses;
  // The builder's cache decoded these already; a fresh decode here keeps the two independent.
  std::vector<std::string> errors;
  for (const auto& raw : stores_.balancer_clusters.list()) {
    kube::BalancerCluster bc;
    if (kube::decode_typed(raw, bc, errors)) clusters[raw.meta.key()] = std::move(bc);
  }
  for (const auto& raw : stores_.ingresses.list()) {
    kube::Ingress ing;
    if (kube::decode_typed(raw, ing, errors)) ingresses[raw.meta.key()] = std::move(ing);
  }
  status_writer_.write_balancer_clusters(output.balancer_cluster_statuses, clusters, live ? &*live : nullptr);
  status_writer_.write_ingresses(output.ingress_statuses, ingresses);
  status_writer_.write_events(output.events);
  if (options_.gateway_api)
    write_gateway_statuses(api_, {stores_.gateway_classes, stores_.gateways, stores_.http_routes}, output, clock_, log_);
  return status_writer_.deferred();
}

void Controller::run() {
  for (auto& r : reflectors_) {
    kube::Reflector* reflector = r.get();
    threads_.emplace_back([reflector] { reflector->run(); });
  }
  if (elector_) {
    threads_.emplace_back([this] {
      elector_->run([this](bool leading) {
        {
          std::lock_guard lock(mutex_);
          leader_ = leading;
          leader_changed_ = true;
        }
        wake_.notify_all();
      });
      elector_->release();
    });
  } else {
    leader_ = true;
    leader_changed_ = true;
  }

  Debouncer debouncer(options_.debounce, options_.debounce_ceiling);
  auto next_status = std::chrono::steady_clock::now() + options_.status_interval;
  auto next_edits = std::chrono::steady_clock::now() + options_.edit_interval;
  auto next_state = std::chrono::steady_clock::now() + options_.state_interval;
  const bool reads_proxy = !options_.proxy_admin.empty();
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    auto deadline = next_status;
    if (reads_proxy) deadline = std::min({deadline, next_edits, leader_.load() ? next_state : deadline});
    // Until every reflector has listed, a pending burst waits: the last first LIST notifies.
    if (auto d = debouncer.deadline(); d && all_synced()) deadline = std::min(deadline, *d);
    wake_.wait_until(lock, deadline, [&] { return stopped_ || changed_ || leader_changed_; });
    if (stopped_) break;
    const auto now = std::chrono::steady_clock::now();
    if (changed_) {
      changed_ = false;
      debouncer.on_change(now);
    }
    const bool leader_changed = std::exchange(leader_changed_, false);
    const bool leading = leader_.load();
    lock.unlock();
    if (leader_changed && options_.metrics) options_.metrics->set_leader(leading);
    bool reconciled = false;
    if (all_synced() && debouncer.due(now)) {
      reconcile_and_publish();
      reconciled = true;
    }
    if (leader_changed && !leading) status_writer_.forget();
    // Every replica, leader or not: its own proxy's edits go to the BalancerClusters.
    if (edit_sync_ && now >= next_edits) {
      if (all_synced()) edit_sync_->sync(stores_.balancer_clusters);
      next_edits = std::chrono::steady_clock::now() + options_.edit_interval;
    }
    bool proxy_moved = false;
    if (reads_proxy && leading && now >= next_state) {
      proxy_moved = proxy_state_changed();
      next_state = now + options_.state_interval;
    }
    if (leading && last_output_ && (reconciled || leader_changed || proxy_moved || now >= next_status)) {
      const auto held_back = write_status(*last_output_);
      next_status = now + options_.status_interval;
      if (held_back) next_status = std::min(next_status, now + *held_back);
    } else if (now >= next_status) {
      next_status = now + options_.status_interval;
    }
    lock.lock();
  }
  lock.unlock();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace kb::controller::runtime
