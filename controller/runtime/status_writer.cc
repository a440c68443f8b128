#include "controller/runtime/status_writer.h"

#include <algorithm>

#include "controller/kube/typed.h"
#include "controller/runtime/status.h"

namespace kb::controller::runtime {
namespace kr = kb::controller::kube::resources;

StatusWriter::StatusWriter(kube::KubeApi& api, const Clock& clock, StatusWriterOptions options, Logger log)
    : api_(api), clock_(clock), options_(std::move(options)), log_(std::move(log)) {}

void StatusWriter::forget() {
  written_.clear();
  written_ingress_.clear();
}

int StatusWriter::write_balancer_clusters(const std::vector<reconcile::BalancerClusterStatusUpdate>& updates,
                                          const std::map<std::string, kube::BalancerCluster>& stored,
                                          const kube::ProxyStats* live) {
  int patches = 0;
  const auto now = clock_.now();
  deferred_.reset();
  for (const auto& update : updates) {
    const std::string key = update.namespace_name + "/" + update.name;
    auto it = stored.find(key);
    if (it == stored.end()) continue;  // deleted meanwhile
    const kube::BalancerClusterStatus& current = it->second.status;
    const std::string& version = it->second.metadata.resource_version;
    auto w = written_.find(key);
    const bool pending = w != written_.end() && w->second.stored_version == version;
    const kube::BalancerClusterStatus& base = pending ? w->second.status : current;
    const std::vector<kube::ProxyMemberStats>* members = nullptr;
    if (live) {
      auto b = live->find(update.balancer);
      static const std::vector<kube::ProxyMemberStats> kNone;
      members = b != live->end() ? &b->second : &kNone;
    }
    kube::BalancerClusterStatus desired = desired_status(update, members, base, now);
    if (desired == current || desired == base) continue;
    if (!significant_change(desired, base) && w != written_.end() &&
        now - w->second.at < options_.counter_interval) {
      continue;  // only counters moved: wait for the rate limit
    }
    if (w != written_.end() && now - w->second.at < options_.min_write_interval) {
      // Written less than min_write_interval ago: coalesce with whatever else changes meanwhile.
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          options_.min_write_interval - (now - w->second.at));
      deferred_ = deferred_ ? std::min(*deferred_, wait) : wait;
      continue;
    }
    try {
      api_.patch_status(kr::balancer_clusters(), update.namespace_name, update.name,
                        kube::balancer_cluster_status_patch(desired));
      written_[key] = Written{desired, now, version};
      ++patches;
    } catch (const kube::ApiError& e) {
      if (!e.not_found() && log_) log_("status of BalancerCluster " + key + ": " + e.what());
    }
  }
  return patches;
}

int StatusWriter::write_ingresses(const std::vector<reconcile::IngressStatusUpdate>& updates,
                                  const std::map<std::string, kube::Ingress>& stored) {
  int patches = 0;
  for (const auto& update : updates) {
    const std::string key = update.namespace_name + "/" + update.name;
    auto it = stored.find(key);
    if (it == stored.end()) continue;
    if (it->second.status == update.status) continue;
    auto w = written_ingress_.find(key);
    if (w != written_ingress_.end() && w->second.stored_version == it->second.metadata.resource_version &&
        w->second.status == update.status) {
      continue;  // written; the watch has not brought it back yet
    }
    try {
      api_.patch_status(kr::ingresses(), update.namespace_name, update.name,
                        kube::ingress_status_patch(update.status));
      written_ingress_[key] = WrittenIngress{update.status, it->second.metadata.resource_version};
      ++patches;
    } catch (const kube::ApiError& e) {
      if (!e.not_found() && log_) log_("status of Ingress " + key + ": " + e.what());
    }
  }
  return patches;
}

int StatusWriter::write_events(const std::vector<reconcile::Event>& events) {
  std::set<std::tuple<std::string, std::string, std::string, std::string>> current;
  int posted = 0;
  for (const auto& event : events) {
    auto id = std::make_tuple(event.object.kind, event.object.namespace_name + "/" + event.object.name,
                              event.reason, event.message);
    current.insert(id);
    if (posted_events_.count(id)) continue;
    kube::EventRecord record;
    record.involved_api_version = event.object.api_version;
    record.involved_kind = event.object.kind;
    record.involved_namespace = event.object.namespace_name;
    record.involved_name = event.object.name;
    record.involved_uid = event.object.uid;
    record.type = event.type;
    record.reason = event.reason;
    record.message = event.message;
    record.time = format_time(clock_.now());
    record.component = options_.component;
    record.instance = options_.instance;
    try {
      api_.create(kr::events(), record.involved_namespace.empty() ? "default" : record.involved_namespace,
                  kube::encode_event(record));
      ++posted;
    } catch (const kube::ApiError& e) {
      // Not retried: an Event is advice, and retrying a rejected one would loop.
      if (log_) log_("event " + event.reason + " for " + std::get<1>(id) + ": " + e.what());
    }
  }
  // A problem that went away and comes back is reported again.
  posted_events_ = std::move(current);
  return posted;
}

}  // namespace kb::controller::runtime
