#include "controller/runtime/leader_elector.h"

#include <gtest/gtest.h>

#include "controller/kube/testing/fake_kube_api.h"

namespace kb::controller::runtime {
namespace {
using namespace std::chrono_literals;
namespace kr = kb::controller::kube::resources;

class ManualClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return t; }
  std::chrono::system_clock::time_point t = std::chrono::system_clock::time_point(std::chrono::hours(490000));
};

LeaderElectionConfig config(const std::string& identity) {
  LeaderElectionConfig c;
  c.lease_namespace = "kb";
  c.lease_name = "lease";
  c.identity = identity;
  return c;
}

kube::LeaseRecord lease(kube::testing::FakeKubeApi& api) {
  return kube::decode_lease(api.get(kr::leases(), "kb", "lease"));
}

TEST(LeaderElector, CreatesTheLeaseWhenAbsent) {
  kube::testing::FakeKubeApi api;
  ManualClock clock;
  LeaderElector a(api, config("a"), clock);
  EXPECT_TRUE(a.try_acquire_or_renew());
  EXPECT_EQ(api.count("create"), 1u);
  auto record = lease(api);
  EXPECT_EQ(record.holder_identity, "a");
  EXPECT_EQ(record.lease_duration_seconds, 15);
  EXPECT_EQ(record.acquire_time, format_time(clock.t, true));
}

TEST(LeaderElector, RenewKeepsAcquireTimeAndMovesRenewTime) {
  kube::testing::FakeKubeApi api;
  ManualClock clock;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.try_acquire_or_renew());
  const auto acquired = lease(api).acquire_time;
  clock.t += 2s;
  EXPECT_TRUE(a.try_acquire_or_renew());
  auto record = lease(api);
  EXPECT_EQ(record.acquire_time, acquired);
  EXPECT_EQ(record.renew_time, format_time(clock.t, true));
  EXPECT_EQ(record.lease_transitions, 0);
}

TEST(LeaderElector, OtherCandidateWaitsForTheLeaseToExpireByItsOwnClock) {
  kube::testing::FakeKubeApi api;
  ManualClock clock_a;
  ManualClock clock_b;
  clock_b.t += 3h;  // B's clock is far off: expiry must not depend on A's timestamps
  LeaderElector a(api, config("a"), clock_a);
  LeaderElector b(api, config("b"), clock_b);
  ASSERT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());
  // A keeps renewing: each change of the record restarts B's count.
  for (int i = 0; i < 10; ++i) {
    clock_a.t += 5s;
    clock_b.t += 5s;
    ASSERT_TRUE(a.try_acquire_or_renew());
    EXPECT_FALSE(b.try_acquire_or_renew());
  }
  // A stops; 15 s after B last saw a change, B takes over.
  clock_b.t += 14s;
  EXPECT_FALSE(b.try_acquire_or_renew());
  clock_b.t += 1s;
  EXPECT_TRUE(b.try_acquire_or_renew());
  auto record = lease(api);
  EXPECT_EQ(record.holder_identity, "b");
  EXPECT_EQ(record.lease_transitions, 1);
  // A comes back and finds the lease taken.
  clock_a.t += 1s;
  EXPECT_FALSE(a.try_acquire_or_renew());
}

TEST(LeaderElector, ReleaseLetsASuccessorInAtOnce) {
  kube::testing::FakeKubeApi api;
  ManualClock clock;
  LeaderElector a(api, config("a"), clock);
  LeaderElector b(api, config("b"), clock);
  std::vector<bool> flips;
  ASSERT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());
  // release() only acts for a leader that run() promoted; emulate one round of run().
  a.stop();
  a.run([&](bool leading) { flips.push_back(leading); });
  EXPECT_EQ(flips, std::vector<bool>{true});
  a.release();
  EXPECT_FALSE(a.is_leader());
  EXPECT_EQ(lease(api).holder_identity, "");
  EXPECT_TRUE(b.try_acquire_or_renew());
}

TEST(LeaderElector, ConflictingUpdateLoses) {
  kube::testing::FakeKubeApi api;
  ManualClock clock;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.try_acquire_or_renew());
  // The lease is taken over between rounds by someone whose record we have not seen expire.
  api.put(kr::leases(), "kb", "lease",
          kube::encode_lease("kb", "lease", "", kube::LeaseRecord{"c", 15, "x", "y", 1}));
  clock.t += 2s;
  EXPECT_FALSE(a.try_acquire_or_renew());
  EXPECT_EQ(lease(api).holder_identity, "c");
}

}  // namespace
}  // namespace kb::controller::runtime
