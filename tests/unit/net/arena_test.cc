#include "proxy/net/arena.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace kb::proxy::net {
namespace {

namespace http = boost::beast::http;

TEST(Arena, AlignsAndRewinds) {
  Arena arena(256);
  auto* a = static_cast<char*>(arena.allocate(3, 1));
  auto* b = arena.allocate(8, 8);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 8, 0u);
  EXPECT_GT(static_cast<char*>(b), a);
  void* big = arena.allocate(1000, 16);  // larger than the block: separate allocation
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big) % 16, 0u);
  arena.reset();
  EXPECT_EQ(arena.allocate(3, 1), a);  // the block is reused
}

TEST(Arena, BacksBeastFieldsBeyondOneBlock) {
  Arena arena(512);
  ArenaFields fields{ArenaAllocator<char>(arena)};
  for (int i = 0; i < 100; ++i) {
    fields.insert("X-Field-" + std::to_string(i), std::string(50, static_cast<char>('a' + i % 26)));
  }
  EXPECT_EQ(fields["X-Field-99"], std::string(50, 'v'));
  EXPECT_EQ(std::distance(fields.begin(), fields.end()), 100);
}

}  // namespace
}  // namespace kb::proxy::net
