#include "controller/kube/reflector.h"

#include <random>

namespace kb::controller::kube {

namespace {
std::function<double()> default_random() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}
}  // namespace

Reflector::Reflector(KubeApi& api, Resource resource, std::string ns, Store& store,
                     Handler on_change, ReflectorOptions options, Logger log)
    : api_(api), resource_(std::move(resource)), namespace_(std::move(ns)), store_(store),
      on_change_(std::move(on_change)), options_(std::move(options)), log_(std::move(log)),
      random_(options_.random ? options_.random : default_random()),
      backoff_(options_.backoff_initial, options_.backoff_cap, options_.jitter, random_) {}

void Reflector::log(const std::string& message) const {
  if (log_) {
    log_(resource_.to_string() + (namespace_.empty() ? "" : " in " + namespace_) + ": " + message);
  }
}

void Reflector::restarted(const char* reason) const {
  if (options_.on_restart && !stopped_) options_.on_restart(reason);
}

std::string Reflector::last_resource_version() const {
  std::lock_guard lock(mutex_);
  return resource_version_;
}

void Reflector::stop() {
  std::shared_ptr<WatchStream> stream;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    stream = stream_;
  }
  wake_.notify_all();
  if (stream) stream->cancel();
}

bool Reflector::wait(std::chrono::milliseconds delay) {
  if (options_.wait_hook) {
    options_.wait_hook(delay);
    return !stopped_;
  }
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopped_.load(); });
  return !stopped_;
}

void Reflector::list_all() {
  std::vector<RawObject> items;
  ListOptions options;
  options.limit = options_.page_size;
  options.field_selector = options_.field_selector;
  uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    generation = relist_requested_;
  }
  std::string list_version;
  for (;;) {
    ListPage page = api_.list(resource_, namespace_, options);
    for (auto& item : page.items)
      if (store_.admits(item.meta.key())) items.push_back(std::move(item));  // bounded: see Store::admit_only
    list_version = page.resource_version;
    if (page.continue_token.empty()) break;
    options.continue_token = page.continue_token;
  }
  lists_++;
  const bool changed = store_.replace(items, namespace_);
  {
    std::lock_guard lock(mutex_);
    resource_version_ = list_version;
    need_list_ = relist_requested_ != generation;  // a relist() during this LIST lists once more
  }
  const bool first = !synced_.exchange(true);
  const bool relisted = relist_done_.exchange(generation) != generation;
  log("listed " + std::to_string(items.size()) + " at resourceVersion " + list_version);
  if ((changed || first || relisted) && on_change_) on_change_(resource_);
}

void Reflector::relist() {
  std::shared_ptr<WatchStream> stream;
  {
    std::lock_guard lock(mutex_);
    ++relist_requested_;
    need_list_ = true;
    stream = stream_;
  }
  if (stream) stream->cancel();  // the watch ends cleanly; run() sees need_list_ and lists
}

// One watch, from the last resourceVersion until the server ends it or it fails.
void Reflector::watch_once() {
  WatchOptions options;
  options.allow_bookmarks = true;
  // Spread between the timeout and twice it, as client-go does, so the reflectors of one process
  // (and of many replicas) do not all re-watch in the same second.
  options.timeout_seconds = static_cast<int>(options_.watch_timeout_seconds * (1.0 + random_()));
  options.resource_version = last_resource_version();
  options.field_selector = options_.field_selector;
  std::shared_ptr<WatchStream> stream = api_.watch(resource_, namespace_, options);
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || need_list_) return;  // a relist() came before the watch could be cancelled
    stream_ = stream;
  }
  struct Clear {
    Reflector* self;
    ~Clear() {
      std::lock_guard lock(self->mutex_);
      self->stream_.reset();
    }
  } clear{this};

  WatchEvent event;
  while (!stopped_ && stream->next(event)) {
    if (event.type == EventType::kError) {
      if (event.error_code == 410) {
        log("watch expired (410 " + event.error_reason + "); listing again");
        std::lock_guard lock(mutex_);
        need_list_ = true;
        return;
      }
      throw ApiError(event.error_code, event.error_reason,
                     "watch ERROR event: " + event.error_message);
    }
    backoff_.reset();  // the watch delivers: the connection is healthy again
    if (event.type != EventType::kBookmark && store_.apply(event.type, event.object) && on_change_) {
      on_change_(resource_);
    }
    if (!event.object.meta.resource_version.empty()) {
      std::lock_guard lock(mutex_);
      resource_version_ = event.object.meta.resource_version;
    }
  }
}

void Reflector::run() {
  while (!stopped_) {
    try {
      bool need_list;
      {
        std::lock_guard lock(mutex_);
        need_list = need_list_;
      }
      if (need_list) {
        list_all();
        backoff_.reset();
      }
      watch_once();  // a clean close re-watches at once from the last resourceVersion
      bool expired;
      {
        std::lock_guard lock(mutex_);
        expired = need_list_;
      }
      restarted(expired ? "expired" : "closed");
    } catch (const ApiError& e) {
      if (stopped_) break;
      restarted(e.gone() ? "expired" : e.status() == 0 ? "transport_error" : "http_error");
      if (e.gone()) {
        log("resourceVersion too old (410); listing again");
        std::lock_guard lock(mutex_);
        need_list_ = true;
        continue;
      }
      // 404 on the LIST: the type is not served (the CRD is not installed yet). Count it as an
      // empty, synced store so everything else is published, and keep retrying with backoff.
      if (e.not_found() && !synced_.load()) {
        store_.replace({}, namespace_);
        synced_ = true;
        log("not served by the API server (404); treating as empty until it is");
        if (on_change_) on_change_(resource_);
      }
      // A transport failure keeps our resourceVersion (re-watch from it, as client-go does when
      // the connection is refused); an HTTP error on the watch (not 410) lists again.
      if (e.status() != 0 && e.status() != 429) {
        std::lock_guard lock(mutex_);
        need_list_ = true;
      }
      std::chrono::milliseconds delay = backoff_.next();
      if (e.status() == 429 && e.retry_after()) {
        delay = std::chrono::duration_cast<std::chrono::milliseconds>(*e.retry_after());
      }
      log(std::string(e.what()) + "; retrying in " + std::to_string(delay.count()) + " ms");
      if (!wait(delay)) break;
    } catch (const std::exception& e) {
      if (stopped_) break;
      restarted("error");
      const auto delay = backoff_.next();
      log(std::string("error: ") + e.what() + "; retrying in " + std::to_string(delay.count()) + " ms");
      if (!wait(delay)) break;
    }
  }
}

}  // namespace kb::controller::kube
