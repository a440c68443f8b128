// The reflector against a scripted KubeApi: every LIST and WATCH the reflector makes is answered by
// the next entry of a script, and the options it sent are recorded. Waits are recorded, not slept.
#include "controller/kube/reflector.h"

#include <gtest/gtest.h>

#include <deque>

namespace kb::controller::kube {
namespace {

RawObject obj(const std::string& ns, const std::string& name, const std::string& rv) {
  RawObject o;
  o.meta.namespace_ = ns;
  o.meta.name = name;
  o.meta.resource_version = rv;
  o.json = "{\"metadata\":{\"name\":\"" + name + "\",\"resourceVersion\":\"" + rv + "\"}}";
  return o;
}

WatchEvent event(EventType type, RawObject o) {
  WatchEvent e;
  e.type = type;
  e.object = std::move(o);
  return e;
}

WatchEvent bookmark(const std::string& rv) {
  WatchEvent e;
  e.type = EventType::kBookmark;
  e.object.meta.resource_version = rv;
  return e;
}

WatchEvent error_event(int code) {
  WatchEvent e;
  e.type = EventType::kError;
  e.error_code = code;
  e.error_reason = code == 410 ? "Expired" : "InternalError";
  return e;
}

class ScriptedStream : public WatchStream {
 public:
  ScriptedStream(std::deque<WatchEvent> events, bool fail_at_end)
      : events_(std::move(events)), fail_at_end_(fail_at_end) {}
  bool next(WatchEvent& e) override {
    if (events_.empty()) {
      if (fail_at_end_) throw ApiError(0, "", "connection reset");
      return false;
    }
    e = events_.front();
    events_.pop_front();
    return true;
  }
  void cancel() override {}

 private:
  std::deque<WatchEvent> events_;
  bool fail_at_end_;
};

class ScriptedApi : public KubeApi {
 public:
  using ListStep = std::function<ListPage(const ListOptions&)>;
  using WatchStep = std::function<std::unique_ptr<WatchStream>(const WatchOptions&)>;
  std::deque<ListStep> lists;
  std::deque<WatchStep> watches;
  std::vector<ListOptions> list_calls;
  std::vector<WatchOptions> watch_calls;
  Reflector* reflector = nullptr;

  ListPage list(const Resource&, const std::string&, const ListOptions& o) override {
    list_calls.push_back(o);
    if (lists.empty()) return end_of_script<ListPage>();
    auto step = std::move(lists.front());
    lists.pop_front();
    return step(o);
  }
  std::unique_ptr<WatchStream> watch(const Resource&, const std::string&, const WatchOptions& o) override {
    watch_calls.push_back(o);
    if (watches.empty()) return end_of_script<std::unique_ptr<WatchStream>>();
    auto step = std::move(watches.front());
    watches.pop_front();
    return step(o);
  }
  RawObject get(const Resource&, const std::string&, const std::string&) override { throw unused(); }
  RawObject create(const Resource&, const std::string&, const std::string&) override { throw unused(); }
  RawObject update(const Resource&, const std::string&, const std::string&, const std::string&) override {
    throw unused();
  }
  RawObject merge_patch(const Resource&, const std::string&, const std::string&, const std::string&) override {
    throw unused();
  }
  RawObject patch_status(const Resource&, const std::string&, const std::string&, const std::string&) override {
    throw unused();
  }
  void remove(const Resource&, const std::string&, const std::string&) override { throw unused(); }

 private:
  template <typename T>
  T end_of_script() {
    reflector->stop();
    throw ApiError(0, "", "end of script");
  }
  static std::logic_error unused() { return std::logic_error("not used by the reflector"); }
};

ScriptedApi::ListStep page(std::vector<RawObject> items, std::string rv, std::string cont = "") {
  return [=](const ListOptions&) { return ListPage{items, rv, cont}; };
}

ScriptedApi::WatchStep stream(std::deque<WatchEvent> events, bool fail_at_end = false) {
  return [=](const WatchOptions&) { return std::make_unique<ScriptedStream>(events, fail_at_end); };
}

ScriptedApi::ListStep list_error(int status, std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  return [=](const ListOptions&) -> ListPage { throw ApiError(status, "", "boom", retry_after); };
}

struct Harness {
  ScriptedApi api;
  Store store;
  int changes = 0;
  std::vector<std::chrono::milliseconds> waits;
  std::vector<std::string> restarts;
  std::unique_ptr<Reflector> reflector;

  explicit Harness(std::string field_selector = "") {
    ReflectorOptions o;
    o.field_selector = std::move(field_selector);
    o.page_size = 2;
    o.watch_timeout_seconds = 77;
    o.random = [] { return 0.5; };
    o.wait_hook = [this](std::chrono::milliseconds d) { waits.push_back(d); };
    o.on_restart = [this](const std::string& reason) { restarts.push_back(reason); };
    reflector = std::make_unique<Reflector>(api, resources::services(), "", store,
                                            [this](const Resource&) { ++changes; }, o);
    api.reflector = reflector.get();
  }
  void run() { reflector->run(); }
};

TEST(Reflector, PagedListThenWatchFromTheListVersion) {
  Harness h;
  h.api.lists.push_back(page({obj("a", "s1", "5"), obj("a", "s2", "6")}, "10", "next-page"));
  h.api.lists.push_back(page({obj("b", "s3", "7")}, "10"));
  h.api.watches.push_back(stream({event(EventType::kAdded, obj("a", "s4", "11"))}));
  h.run();
  ASSERT_EQ(h.api.list_calls.size(), 2u);
  EXPECT_EQ(h.api.list_calls[0].limit, 2);
  EXPECT_EQ(h.api.list_calls[0].continue_token, "");
  EXPECT_EQ(h.api.list_calls[1].continue_token, "next-page");
  ASSERT_GE(h.api.watch_calls.size(), 1u);
  EXPECT_EQ(h.api.watch_calls[0].resource_version, "10");
  EXPECT_TRUE(h.api.watch_calls[0].allow_bookmarks);
  EXPECT_EQ(h.api.watch_calls[0].timeout_seconds, 115);  // 77 * (1 + random() = 0.5)
  EXPECT_EQ(h.store.size(), 4u);
  EXPECT_TRUE(h.reflector->has_synced());
  EXPECT_EQ(h.changes, 2);  // the list, then the ADDED
}

TEST(Reflector, CleanCloseReWatchesFromTheLastBookmark) {
  Harness h;
  h.api.lists.push_back(page({}, "10"));
  h.api.watches.push_back(stream({event(EventType::kAdded, obj("a", "s", "12")), bookmark("20")}));
  h.api.watches.push_back(stream({bookmark("25")}));
  h.run();
  ASSERT_EQ(h.api.watch_calls.size(), 3u);
  EXPECT_EQ(h.api.watch_calls[1].resource_version, "20");
  EXPECT_EQ(h.api.watch_calls[2].resource_version, "25");
  EXPECT_EQ(h.api.list_calls.size(), 1u);  // no relist on a clean close
  EXPECT_TRUE(h.waits.empty());
  EXPECT_EQ(h.reflector->last_resource_version(), "25");
}

TEST(Reflector, GoneErrorEventRelistsAndDropsWhatVanished) {
  Harness h;
  h.api.lists.push_back(page({obj("a", "keep", "1"), obj("a", "gone", "2")}, "10"));
  h.api.watches.push_back(stream({error_event(410)}));
  h.api.lists.push_back(page({obj("a", "keep", "1"), obj("a", "new", "30")}, "31"));
  h.run();
  EXPECT_EQ(h.reflector->lists(), 2);
  EXPECT_TRUE(h.store.get("a/keep"));
  EXPECT_TRUE(h.store.get("a/new"));
  EXPECT_FALSE(h.store.get("a/gone"));  // the delete we never saw, found by the relist
  ASSERT_EQ(h.api.watch_calls.size(), 2u);
  EXPECT_EQ(h.api.watch_calls[1].resource_version, "31");
  EXPECT_TRUE(h.waits.empty());  // 410 relists at once
}

TEST(Reflector, GoneHttpStatusOnWatchRelists) {
  Harness h;
  h.api.lists.push_back(page({}, "10"));
  h.api.watches.push_back([](const WatchOptions&) -> std::unique_ptr<WatchStream> {
    throw ApiError(410, "Expired", "too old");
  });
  h.api.lists.push_back(page({}, "40"));
  h.run();
  EXPECT_EQ(h.reflector->lists(), 2);
  EXPECT_EQ(h.api.watch_calls.back().resource_version, "40");
}

TEST(Reflector, ExponentialBackoffWithJitterThenReset) {
  Harness h;
  h.api.lists.push_back(list_error(500));
  h.api.lists.push_back(list_error(500));
  h.api.lists.push_back(list_error(503));
  h.api.lists.push_back(page({}, "1"));
  h.api.watches.push_back(stream({bookmark("2")}, /*fail_at_end=*/true));
  h.run();
  // random() = 0.5, jitter 1.0: each delay is 1.5x the base 800, 1600, 3200 ms; a successful
  // list resets the schedule, so the transport failure after it waits 1200 ms again.
  std::vector<std::chrono::milliseconds> expected = {std::chrono::milliseconds(1200), std::chrono::milliseconds(2400),
                                                     std::chrono::milliseconds(4800), std::chrono::milliseconds(1200)};
  ASSERT_GE(h.waits.size(), 4u);
  EXPECT_EQ(std::vector(h.waits.begin(), h.waits.begin() + 4), expected);
}

TEST(Reflector, BackoffIsCapped) {
  Backoff b(std::chrono::milliseconds(800), std::chrono::milliseconds(30000), 1.0, [] { return 0.0; });
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(b.next().count());
  EXPECT_EQ(delays, (std::vector<long>{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000}));
  b.reset();
  EXPECT_EQ(b.next().count(), 800);
}

TEST(Reflector, TooManyRequestsHonoursRetryAfter) {
  Harness h;
  h.api.lists.push_back(list_error(429, std::chrono::seconds(7)));
  h.api.lists.push_back(page({}, "1"));
  h.run();
  ASSERT_GE(h.waits.size(), 1u);
  EXPECT_EQ(h.waits[0], std::chrono::milliseconds(7000));
}

TEST(Reflector, TransportFailureReWatchesFromTheLastVersionWithoutRelisting) {
  Harness h;
  h.api.lists.push_back(page({}, "10"));
  h.api.watches.push_back(stream({event(EventType::kAdded, obj("a", "s", "11"))}, /*fail_at_end=*/true));
  h.api.watches.push_back(stream({}));
  h.run();
  EXPECT_EQ(h.reflector->lists(), 1);
  ASSERT_GE(h.api.watch_calls.size(), 2u);
  EXPECT_EQ(h.api.watch_calls[1].resource_version, "11");
  EXPECT_EQ(h.waits.size(), 1u);  // the failure only; the clean close re-watches at once
}

TEST(Reflector, OtherErrorEventRelistsAfterBackoff) {
  Harness h;
  h.api.lists.push_back(page({}, "10"));
  h.api.watches.push_back(stream({error_event(500)}));
  h.api.lists.push_back(page({}, "20"));
  h.run();
  EXPECT_EQ(h.reflector->lists(), 2);
  ASSERT_GE(h.waits.size(), 1u);
  EXPECT_EQ(h.waits[0], std::chrono::milliseconds(1200));
}

// Each start-over of the list/watch cycle is reported with its cause (the restart metric); the
// stop at the end of the script is not a restart.
TEST(Reflector, ReportsEachRestartWithItsReason) {
  Harness h;
  h.api.lists.push_back(page({}, "10"));
  h.api.watches.push_back(stream({bookmark("11")}));
  h.api.watches.push_back(stream({error_event(410)}));
  h.api.lists.push_back(page({}, "20"));
  h.api.watches.push_back(stream({}, /*fail_at_end=*/true));
  h.api.watches.push_back([](const WatchOptions&) -> std::unique_ptr<WatchStream> {
    throw ApiError(500, "InternalError", "boom");
  });
  h.run();
  EXPECT_EQ(h.restarts, (std::vector<std::string>{"closed", "expired", "transport_error", "http_error"}));
}

TEST(Reflector, ReplaysAreNotChanges) {
  Harness h;
  h.api.lists.push_back(page({obj("a", "s", "5")}, "10"));
  h.api.watches.push_back(stream({event(EventType::kModified, obj("a", "s", "5")),
                                  event(EventType::kDeleted, obj("a", "unknown", "12")),
                                  event(EventType::kDeleted, obj("a", "s", "13"))}));
  h.run();
  EXPECT_EQ(h.changes, 2);  // the first list and the real delete
  EXPECT_EQ(h.store.size(), 0u);
}

TEST(Reflector, UnservedTypeCountsAsEmptyAndSyncedWhileRetrying) {
  Harness h;
  h.api.lists.push_back(list_error(404));
  h.api.lists.push_back(list_error(404));
  h.api.lists.push_back(page({obj("a", "bc", "3")}, "4"));
  h.run();
  EXPECT_TRUE(h.reflector->has_synced());
  EXPECT_EQ(h.changes, 2);  // synced-empty once, then the real list
  EXPECT_EQ(h.waits.size(), 2u);  // two backoffs
  EXPECT_EQ(h.store.size(), 1u);
}

TEST(Reflector, AdmissionBoundsTheStoreAndRelistBringsNewlyAdmittedObjects) {
  Harness h("type=kubernetes.io/tls");
  h.store.admit_only({"a/x"});
  h.api.lists.push_back(page({obj("a", "x", "1"), obj("a", "y", "2")}, "10"));
  h.api.watches.push_back([&h](const WatchOptions&) -> std::unique_ptr<WatchStream> {
    EXPECT_EQ(h.store.size(), 1u);  // y was listed but not admitted
    EXPECT_TRUE(h.store.admit_only({"a/x", "a/y"}));
    h.reflector->relist();  // before the watch is registered: it must not block until its timeout
    EXPECT_TRUE(h.reflector->relisting());
    return std::make_unique<ScriptedStream>(std::deque<WatchEvent>{event(EventType::kAdded, obj("a", "z", "11"))}, false);
  });
  h.api.lists.push_back(page({obj("a", "x", "1"), obj("a", "y", "2"), obj("a", "z", "3")}, "12"));
  h.run();
  ASSERT_EQ(h.api.list_calls.size(), 2u);
  EXPECT_EQ(h.api.list_calls[0].field_selector, "type=kubernetes.io/tls");
  EXPECT_EQ(h.api.watch_calls[0].field_selector, "type=kubernetes.io/tls");
  EXPECT_EQ(h.store.size(), 2u);  // x and y; never z
  EXPECT_FALSE(h.store.get("a/z"));
  EXPECT_FALSE(h.reflector->relisting());
  EXPECT_EQ(h.changes, 2);  // the first list, the relist
}

TEST(Store, AdmitOnlyDropsOthersAndSaysWhenItGrew) {
  Store store;
  EXPECT_TRUE(store.replace({obj("a", "x", "1"), obj("a", "y", "1")}, ""));
  EXPECT_TRUE(store.admit_only({"a/x"}));  // the first set always counts as growth
  EXPECT_FALSE(store.get("a/y"));
  EXPECT_FALSE(store.apply(EventType::kAdded, obj("a", "y", "2")));
  EXPECT_FALSE(store.admit_only({"a/x"}));
  EXPECT_FALSE(store.admit_only({}));  // shrinking never needs a relist
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(store.admit_only({"a/y"}));
  EXPECT_TRUE(store.admits("a/y"));
  EXPECT_FALSE(store.admits("a/x"));
}

TEST(Store, ReplaceTouchesOnlyItsNamespace) {
  Store store;
  EXPECT_TRUE(store.replace({obj("a", "x", "1"), obj("b", "y", "1")}, ""));
  EXPECT_TRUE(store.replace({}, "a"));
  EXPECT_FALSE(store.get("a/x"));
  EXPECT_TRUE(store.get("b/y"));
  EXPECT_FALSE(store.replace({obj("b", "y", "1")}, "b"));
  const auto rev = store.revision();
  EXPECT_FALSE(store.apply(EventType::kDeleted, obj("b", "nope", "2")));
  EXPECT_EQ(store.revision(), rev);
  EXPECT_TRUE(store.apply(EventType::kModified, obj("b", "y", "3")));
  EXPECT_EQ(store.get("b/y")->meta.resource_version, "3");
}

}  // namespace
}  // namespace kb::controller::kube
