#pragma once
// A reflector keeps a Store equal to one resource in one namespace (or all), like client-go's
// tools/cache/reflector.go:
//   LIST (paged with limit/continue) -> Store::replace -> WATCH from the list's resourceVersion
//   with bookmarks and a server-side timeout -> apply each event, remember its resourceVersion.
// A clean end of the watch re-watches from the last resourceVersion seen (bookmarks included); a
// 410 Gone (HTTP or an ERROR event) means that version is compacted away, so it lists again. Other
// failures wait with jittered exponential backoff, or for Retry-After when the server sent 429.
// No polling: between events the reflector blocks in the watch.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "controller/kube/backoff.h"
#include "controller/kube/kube_api.h"
#include "controller/kube/store.h"

namespace kb::controller::kube {

struct ReflectorOptions {
  int64_t page_size = 500;
  int watch_timeout_seconds = 300;  // each watch asks for 1-2x this (client-go: 5-10 min)
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_cap{30000};
  double jitter = 1.0;
  std::function<double()> random;  // [0, 1); default: a seeded std::mt19937
  // Replaces the real wait (tests): called with each delay instead of sleeping.
  std::function<void(std::chrono::milliseconds)> wait_hook;
  // Called each time the list/watch cycle starts over (metrics), with why the last one ended:
  // "closed" (the server ended the watch), "expired" (410 Gone), "http_error", "transport_error"
  // (no response) or "error" (an undecodable event).
  std::function<void(const std::string& reason)> on_restart;
  // Sent with every LIST and WATCH ("type=kubernetes.io/tls"); "" = none.
  std::string field_selector;
};

class Reflector {
 public:
  using Handler = std::function<void(const Resource&)>;  // called after each change of the store
  using Logger = std::function<void(const std::string&)>;

  Reflector(KubeApi& api, Resource resource, std::string ns, Store& store, Handler on_change,
            ReflectorOptions options = {}, Logger log = {});
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Lists and watches until stop(); returns then. Call from a dedicated thread.
  void run();
  // Thread-safe: ends run() soon, cancelling a blocked watch.
  void stop();

  // The first LIST reached the store (or the type is not served: 404 counts as empty).
  bool has_synced() const { return synced_.load(); }
  std::string last_resource_version() const;
  int lists() const { return lists_.load(); }  // how many full LISTs so far (tests, logs)
  // Thread-safe: lists again now (the store admits more keys than when it last listed); until that
  // list is in the store, relisting() is true.
  void relist();
  bool relisting() const {
    std::lock_guard lock(mutex_);
    return relist_done_.load() != relist_requested_;
  }

 private:
  void list_all();
  void watch_once();
  bool wait(std::chrono::milliseconds delay);  // false when stopped meanwhile
  void log(const std::string& message) const;
  void restarted(const char* reason) const;

  KubeApi& api_;
  Resource resource_;
  std::string namespace_;
  Store& store_;
  Handler on_change_;
  ReflectorOptions options_;
  Logger log_;
  std::function<double()> random_;
  Backoff backoff_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string resource_version_;
  std::shared_ptr<WatchStream> stream_;  // the open watch, for stop()
  std::atomic<bool> stopped_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  uint64_t relist_requested_ = 0;         // under mutex_
  std::atomic<uint64_t> relist_done_{0};  // the request generation the last LIST served
  bool need_list_ = true;
};

}  // namespace kb::controller::kube
