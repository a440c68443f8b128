#pragma once
// An in-memory KubeApi for unit tests of the runtime (leader election, status writing): objects by
// resource/namespace/name with a global resourceVersion counter; update honours
// metadata.resourceVersion (409 on a stale one) like the API server. Every write is recorded.
// Not for reflector tests (no watch): those script the API call by call.
#include <map>
#include <string>
#include <vector>

#include "controller/kube/json_codec.h"
#include "controller/kube/kube_api.h"

namespace kb::controller::kube::testing {

class FakeKubeApi : public KubeApi {
 public:
  struct Call {
    std::string verb;  // "create", "update", "patch", "patch_status", "delete"
    std::string path;
    std::string body;
  };
  std::vector<Call> calls;
  int fail_next_writes = 0;  // the next N writes fail with HTTP 500

  RawObject get(const Resource& r, const std::string& ns, const std::string& name) override {
    auto it = objects_.find(r.path(ns, name));
    if (it == objects_.end()) throw ApiError(404, "NotFound", "not found");
    return it->second;
  }
  ListPage list(const Resource&, const std::string&, const ListOptions&) override {
    throw std::logic_error("FakeKubeApi: list not supported");
  }
  std::unique_ptr<WatchStream> watch(const Resource&, const std::string&, const WatchOptions&) override {
    throw std::logic_error("FakeKubeApi: watch not supported");
  }
  RawObject create(const Resource& r, const std::string& ns, const std::string& json) override {
    record("create", r.path(ns), json);
    RawObject o = decode_raw_object(json);
    const std::string path = r.path(ns, o.meta.name.empty() ? "generated-" + std::to_string(next_rv_) : o.meta.name);
    if (objects_.count(path)) throw ApiError(409, "AlreadyExists", "exists");
    return store(path, o);
  }
  RawObject update(const Resource& r, const std::string& ns, const std::string& name,
                   const std::string& json) override {
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
    record("patch", r.path(ns, name), json);
    return get(r, ns, name);
  }
  RawObject patch_status(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& json) override {
    record("patch_status", r.path(ns, name, "status"), json);
    return get(r, ns, name);
  }
  void remove(const Resource& r, const std::string& ns, const std::string& name) override {
    record("delete", r.path(ns, name), "");
    if (!objects_.erase(r.path(ns, name))) throw ApiError(404, "NotFound", "not found");
  }

  // Puts an object in place as another client would (bumps the resourceVersion).
  RawObject put(const Resource& r, const std::string& ns, const std::string& name, const std::string& json) {
    return store(r.path(ns, name), decode_raw_object(json));
  }
  size_t count(const std::string& verb) const {
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
  std::map<std::string, RawObject> objects_;
  int64_t next_rv_ = 100;
};

}  // namespace kb::controller::kube::testing
