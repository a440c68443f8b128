#pragma once
// An in-memory KubeApi for unit tests of the runtime (leader election, status writing, the loop):
// objects by resource/namespace/name with a global resourceVersion counter; update honours
// metadata.resourceVersion (409 on a stale one) like the API server. Every write is recorded.
// LIST returns what is stored; WATCH opens a stream that delivers nothing and ends on cancel().
// Reflector edge cases (410, bookmarks, backoff) are tested with a scripted API instead.
// Thread-safe: the runtime calls it from several threads.
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/json_codec.h"
#include "controller/kube/kube_api.h"

namespace kb::controller::kube::testing {

class IdleWatch : public WatchStream {
 public:
  bool next(WatchEvent&) override {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return cancelled_; });
    return false;
  }
  void cancel() override {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    wake_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool cancelled_ = false;
};

class FakeKubeApi : public KubeApi {
 public:
  struct Call {
    std::string verb;  // "create", "update", "patch", "patch_status", "delete"
    std::string path;
    std::string body;
  };
  std::vector<Call> calls;
  int fail_next_writes = 0;  // the next N writes fail with HTTP 500

  std::set<std::string> failing_lists;  // Resource::to_string() values whose LIST answers 500

  RawObject get(const Resource& r, const std::string& ns, const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(r.path(ns, name));
    if (it == objects_.end()) throw ApiError(404, "NotFound", "not found");
    return it->second;
  }
  ListPage list(const Resource& r, const std::string& ns, const ListOptions&) override {
    std::lock_guard lock(mutex_);
    ++lists_[r.to_string()];
    if (failing_lists.count(r.to_string())) throw ApiError(500, "InternalError", "injected list failure");
    ListPage page;
    page.resource_version = std::to_string(next_rv_);
    for (const auto& [path, object] : objects_) {
      const bool all_namespaces = ns.empty() && r.namespaced;
      if (all_namespaces ? matches_any_namespace(r, path) : path.rfind(r.path(ns) + "/", 0) == 0) {
        page.items.push_back(object);
      }
    }
    return page;
  }
  std::unique_ptr<WatchStream> watch(const Resource&, const std::string&, const WatchOptions&) override {
    return std::make_unique<IdleWatch>();
  }
  int lists(const Resource& r) {
    std::lock_guard lock(mutex_);
    return lists_[r.to_string()];
  }
  void set_list_failure(const Resource& r, bool failing) {
    std::lock_guard lock(mutex_);
    if (failing) {
      failing_lists.insert(r.to_string());
    } else {
      failing_lists.erase(r.to_string());
    }
  }
  RawObject create(const Resource& r, const std::string& ns, const std::string& json) override {
    std::lock_guard lock(mutex_);
    record("create", r.path(ns), json);
    RawObject o = decode_raw_object(json);
    const std::string path = r.path(ns, o.meta.name.empty() ? "generated-" + std::to_string(next_rv_) : o.meta.name);
    if (objects_.count(path)) throw ApiError(409, "AlreadyExists", "exists");
    return store(path, o);
  }
  RawObject update(const Resource& r, const std::string& ns, const std::string& name,
                   const std::string& json) override {
    std::lock_guard lock(mutex_);
    record("update", r.path(ns, name), json);
    auto it = objects_.find(r.path(ns, name));
    if (it == objects_.end()) throw ApiError(404, "NotFound", "not found");
    RawObject o = decode_raw_object(json);
    if (!o.meta.resource_version.empty() && o.meta.resource_version != it->second.meta.resource_version) {
      throw ApiError(409, "Conflict", "the object has been modified");
    }
    return store(r.path(ns, name), o);
  }
  RawObject merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                        const std::string& json) override {
    {
      std::lock_guard lock(mutex_);
      record("patch", r.path(ns, name), json);
      // A metadata.resourceVersion in the patch is a precondition, as on the API server. (The
      // patch itself is not applied.)
      if (json.find("\"resourceVersion\"") != std::string::npos) {
        auto it = objects_.find(r.path(ns, name));
        if (it == objects_.end()) throw ApiError(404, "NotFound", "not found");
        const RawObject o = decode_raw_object(json);
        if (!o.meta.resource_version.empty() && o.meta.resource_version != it->second.meta.resource_version) {
          throw ApiError(409, "Conflict", "the object has been modified");
        }
      }
    }
    return get(r, ns, name);
  }
  RawObject patch_status(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& json) override {
    {
      std::lock_guard lock(mutex_);
      record("patch_status", r.path(ns, name, "status"), json);
    }
    return get(r, ns, name);
  }
  void remove(const Resource& r, const std::string& ns, const std::string& name) override {
    std::lock_guard lock(mutex_);
    record("delete", r.path(ns, name), "");
    if (!objects_.erase(r.path(ns, name))) throw ApiError(404, "NotFound", "not found");
  }

  // Puts an object in place as another client would (bumps the resourceVersion).
  RawObject put(const Resource& r, const std::string& ns, const std::string& name, const std::string& json) {
    std::lock_guard lock(mutex_);
    return store(r.path(ns, name), decode_raw_object(json));
  }
  size_t count(const std::string& verb) const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& c : calls) n += c.verb == verb;
    return n;
  }

 private:
  void record(const std::string& verb, const std::string& path, const std::string& body) {
    calls.push_back({verb, path, body});
    if (fail_next_writes > 0) {
      --fail_next_writes;
      throw ApiError(500, "InternalError", "injected failure");
    }
  }
  RawObject store(const std::string& path, RawObject o) {
    o.meta.resource_version = std::to_string(next_rv_++);
    objects_[path] = o;
    return o;
  }
  // ".../namespaces/NS/<plural>/NAME" belongs to an all-namespaces LIST of r.
  static bool matches_any_namespace(const Resource& r, const std::string& path) {
    const std::string prefix = (r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version) +
                               "/namespaces/";
    if (path.rfind(prefix, 0) != 0) return false;
    const auto slash = path.find('/', prefix.size());
    return slash != std::string::npos && path.compare(slash, r.resource.size() + 2, "/" + r.resource + "/") == 0;
  }
  mutable std::mutex mutex_;
  std::map<std::string, RawObject> objects_;
  std::map<std::string, int> lists_;
  int64_t next_rv_ = 100;
};

}  // namespace kb::controller::kube::testing
