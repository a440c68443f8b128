#include "proxy/core/host_index.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

TEST(HostIndex, ExactThenOneLabelWildcardCaseInsensitive) {
  HostIndex index;
  EXPECT_TRUE(index.add("shop.example.com", 1));
  EXPECT_TRUE(index.add("*.Example.com", 2));
  EXPECT_FALSE(index.add("SHOP.example.com", 3));  // first one wins
  EXPECT_EQ(index.find("shop.example.com"), 1);
  EXPECT_EQ(index.find("Shop.Example.Com"), 1);
  EXPECT_EQ(index.find("shop.example.com."), 1);
  EXPECT_EQ(index.find("a.example.com"), 2);
  EXPECT_EQ(index.find("A.EXAMPLE.COM"), 2);
  EXPECT_EQ(index.find("a.b.example.com"), HostIndex::kNone);
  EXPECT_EQ(index.find("example.com"), HostIndex::kNone);
  EXPECT_EQ(index.find(".example.com"), HostIndex::kNone);
  EXPECT_EQ(index.find(""), HostIndex::kNone);
  EXPECT_EQ(index.find(std::string(300, 'a')), HostIndex::kNone);
}

}  // namespace
}  // namespace kb::proxy::core
