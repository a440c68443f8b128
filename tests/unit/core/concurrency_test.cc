// Several threads pick at once: totals stay consistent (run under ASan/UBSan by scripts/test.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/unit/core/balancer_fixture.h"

namespace kb::proxy::core::testing {
namespace {

TEST(Concurrency, ParallelPicksKeepExactProportionsAndCounters) {
  BalancerFixture f;
  f.add("b1", 1);
  f.add("b2", 2);
  f.add("b3", 3);
  f.build();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 3000;  // 12000 picks = 2000 full b3 b2 b1 b3 b2 b3 cycles
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        Pick p = f.balancer->pick({"/", {}}, {}, f.now);
        if (p.member == nullptr) {
          ++failures;
          continue;
        }
        f.balancer->on_done(*p.member, 3, 5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(f.state("b1").elected.load(), 2000u);
  EXPECT_EQ(f.state("b2").elected.load(), 4000u);
  EXPECT_EQ(f.state("b3").elected.load(), 6000u);
  int64_t lbstatus_sum = 0;
  uint64_t transferred = 0;
  for (const Member& m : f.balancer->members()) {
    EXPECT_EQ(m.state->busy.load(), 0);
    lbstatus_sum += m.state->lbstatus.load();
    transferred += m.state->transferred.load();
  }
  EXPECT_EQ(lbstatus_sum, 0);  // smooth RR invariant
  EXPECT_EQ(transferred, 3u * kThreads * kPerThread);
}

TEST(Concurrency, StickyRoutesAreTheSameOnEveryThreadWhileOthersFailAndRecover) {
  BalancerFixture f;
  f.cfg.sticky.cookie = "ROUTEID";
  f.cfg.sticky.url_param = "ROUTEID";
  f.add("b1", 1, "r1");
  f.add("b2", 1, "r2");
  f.add("b3", 1, "r3").retry = std::chrono::seconds(0);
  f.build();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      const std::string cookie = "ROUTEID=x.r" + std::to_string(t % 2 + 1);
      const std::string_view cookies[] = {cookie};
      for (int i = 0; i < 2000; ++i) {
        Pick p = f.balancer->pick({"/", cookies}, {}, f.now);
        if (p.member == nullptr || p.member->config->route != cookie.substr(10)) ++wrong;
        if (p.member) f.balancer->on_done(*p.member, 0, 0);
      }
    });
  }
  threads.emplace_back([&] {  // b3 flaps: E and lazy recovery (retry 0) race with the pickers
    for (int i = 0; i < 2000; ++i) {
      f.balancer->on_failure(f.member("b3"), f.now);
      Pick p = f.balancer->pick({"/", {}}, {}, f.now);
      if (p.member) f.balancer->on_done(*p.member, 0, 0);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(f.state("b1").sticky_hits.load(), 4000u);
  EXPECT_EQ(f.state("b2").sticky_hits.load(), 2000u);
}

}  // namespace
}  // namespace kb::proxy::core::testing
