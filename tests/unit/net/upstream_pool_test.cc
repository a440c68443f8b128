#include "proxy/net/upstream_pool.h"

#include <gtest/gtest.h>

namespace kb::proxy::net {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<UpstreamConn> conn(boost::asio::io_context& ioc, std::string key) {
  auto c = std::make_unique<UpstreamConn>(ioc);
  c->key = std::move(key);
  return c;
}

TEST(UpstreamPool, LifoPerKeyWithIdleLimit) {
  boost::asio::io_context ioc;
  UpstreamPool pool(2, std::chrono::milliseconds(1000));
  const auto now = Clock::now();
  EXPECT_EQ(pool.acquire("a:1"), nullptr);
  auto first = conn(ioc, "a:1");
  auto second = conn(ioc, "a:1");
  auto third = conn(ioc, "a:1");
  UpstreamConn* second_ptr = second.get();
  UpstreamConn* third_ptr = third.get();
  pool.release(std::move(first), now);
  pool.release(std::move(second), now);
  pool.release(std::move(third), now);  // over the limit: the oldest is dropped
  pool.release(conn(ioc, "b:2"), now);
  EXPECT_EQ(pool.idle_count(), 3u);
  EXPECT_EQ(pool.acquire("a:1").get(), third_ptr);  // most recent first
  EXPECT_EQ(pool.acquire("a:1").get(), second_ptr);
  EXPECT_EQ(pool.acquire("a:1"), nullptr);
  EXPECT_NE(pool.acquire("b:2"), nullptr);
}

TEST(UpstreamPool, SweepClosesConnectionsIdleTooLong) {
  boost::asio::io_context ioc;
  UpstreamPool pool(8, std::chrono::milliseconds(1000));
  const auto t0 = Clock::now();
  pool.release(conn(ioc, "a:1"), t0);
  pool.release(conn(ioc, "a:1"), t0 + std::chrono::milliseconds(800));
  pool.sweep(t0 + std::chrono::milliseconds(1000));
  EXPECT_EQ(pool.idle_count(), 1u);
  pool.sweep(t0 + std::chrono::milliseconds(1800));
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.acquire("a:1"), nullptr);
}

TEST(UpstreamPool, ZeroIdleLimitKeepsNothing) {
  boost::asio::io_context ioc;
  UpstreamPool pool(0, std::chrono::milliseconds(1000));
  pool.release(conn(ioc, "a:1"), Clock::now());
  EXPECT_EQ(pool.idle_count(), 0u);
}

}  // namespace
}  // namespace kb::proxy::net
