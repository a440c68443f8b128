// EditSync: a replica's proxy edits saved in the BalancerCluster with the resourceVersion as a
// precondition (a 409 re-reads and merges again), then acknowledged; edits of balancers without a
// BalancerCluster acknowledged as memory-only; only pending edits are handled.
#include <gtest/gtest.h>

#include "controller/kube/json_codec.h"
#include "controller/kube/testing/fake_kube_api.h"
#include "controller/runtime/edit_sync.h"

namespace kb::controller::runtime {
namespace {
namespace kr = kb::controller::kube::resources;

struct Acked {
  std::string member;
  uint64_t seq;
  std::string state;
  std::string note;
};

struct SyncHarness {
  kube::testing::FakeKubeApi api;
  kube::Store clusters;
  std::vector<kube::ProxyEdit> edits;
  std::vector<Acked> acks;
  std::vector<std::string> logs;
  EditSync sync{api, [this] { return edits; },
                [this](const kube::ProxyEdit& e, const std::string& state, const std::string& note) {
                  acks.push_back({e.member, e.seq, state, note});
                  return true;
                },
                [this](const std::string& line) { logs.push_back(line); }};

  kube::ProxyEdit edit(const std::string& balancer, const std::string& member, uint64_t seq,
                       const std::string& state = "pending") {
    kube::ProxyEdit e;
    e.balancer = balancer;
    e.member = member;
    e.seq = seq;
    e.state = state;
    e.loadfactor = 3;
    return e;
  }
};

constexpr const char* kCluster =
    R"({"metadata":{"name":"web","namespace":"ns","resourceVersion":"%RV%"},"spec":{"service":{"name":"web"}}})";

std::string cluster_json(const std::string& rv) {
  std::string s = kCluster;
  s.replace(s.find("%RV%"), 4, rv);
  return s;
}

TEST(EditSync, SavesWithThePreconditionAndAcknowledges) {
  SyncHarness h;
  const kube::RawObject stored = h.api.put(kr::balancer_clusters(), "ns", "web", cluster_json(""));
  h.clusters.apply(kube::EventType::kAdded, kube::decode_raw_object(cluster_json(stored.meta.resource_version)));
  h.edits = {h.edit("ns/web", "pod-a", 7), h.edit("ns/web", "pod-b", 8, "saved")};
  EXPECT_EQ(h.sync.sync(h.clusters), 1);
  ASSERT_EQ(h.api.count("patch"), 1u);
  const std::string& body = h.api.calls.back().body;
  EXPECT_NE(body.find("\"resourceVersion\":\"" + stored.meta.resource_version + "\""), std::string::npos) << body;
  EXPECT_NE(body.find("pod-a"), std::string::npos);
  EXPECT_EQ(body.find("pod-b"), std::string::npos) << "a saved edit is not written again: " << body;
  ASSERT_EQ(h.acks.size(), 1u);
  EXPECT_EQ(h.acks[0].member, "pod-a");
  EXPECT_EQ(h.acks[0].seq, 7u);
  EXPECT_EQ(h.acks[0].state, "saved");
  EXPECT_EQ(h.acks[0].note, "BalancerCluster ns/web");
}

TEST(EditSync, AConflictReadsTheClusterAgainAndMergesAgain) {
  SyncHarness h;
  // The store's copy is stale: another replica (or a user) wrote since.
  h.clusters.apply(kube::EventType::kAdded, kube::decode_raw_object(cluster_json("5")));
  const kube::RawObject fresh = h.api.put(kr::balancer_clusters(), "ns", "web", cluster_json(""));
  h.edits = {h.edit("ns/web", "pod-a", 1)};
  EXPECT_EQ(h.sync.sync(h.clusters), 1);
  ASSERT_EQ(h.api.count("patch"), 2u);
  EXPECT_NE(h.api.calls[0].body.find("\"resourceVersion\":\"5\""), std::string::npos);
  EXPECT_NE(h.api.calls.back().body.find("\"resourceVersion\":\"" + fresh.meta.resource_version + "\""),
            std::string::npos);
  ASSERT_EQ(h.acks.size(), 1u);
  EXPECT_EQ(h.acks[0].state, "saved");
}

TEST(EditSync, NoClusterMeansMemoryOnlyAndFailuresAreNotAcknowledged) {
  SyncHarness h;
  h.edits = {h.edit("ns/svc-annotated", "pod-a", 4)};
  EXPECT_EQ(h.sync.sync(h.clusters), 1);
  EXPECT_EQ(h.api.count("patch"), 0u);
  ASSERT_EQ(h.acks.size(), 1u);
  EXPECT_EQ(h.acks[0].state, "memory-only");
  EXPECT_NE(h.acks[0].note.find("no BalancerCluster"), std::string::npos);

  // A write that fails (500) is not acknowledged: the edit stays pending for the next pass.
  SyncHarness f;
  f.api.put(kr::balancer_clusters(), "ns", "web", cluster_json(""));
  f.clusters.apply(kube::EventType::kAdded, kube::decode_raw_object(cluster_json("100")));
  f.edits = {f.edit("ns/web", "pod-a", 2)};
  f.api.fail_next_writes = 1;
  EXPECT_EQ(f.sync.sync(f.clusters), 0);
  EXPECT_TRUE(f.acks.empty());
  EXPECT_EQ(f.sync.sync(f.clusters), 1);
}

}  // namespace
}  // namespace kb::controller::runtime
