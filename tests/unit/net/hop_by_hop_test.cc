#include "proxy/net/hop_by_hop.h"

#include <gtest/gtest.h>

namespace kb::proxy::net {
namespace {

namespace http = boost::beast::http;

TEST(HopByHop, FixedListAndConnectionTokens) {
  http::fields f;
  f.insert("Connection", "Keep-Alive, x-one ,X-Two");
  f.insert("Connection", "upgrade");
  f.insert("X-One", "1");
  const HopByHop hop(f);
  EXPECT_TRUE(hop.names_upgrade());
  EXPECT_FALSE(hop.names_close());
  for (auto name :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::te, http::field::trailer, http::field::transfer_encoding, http::field::upgrade,
        http::field::proxy_authenticate, http::field::proxy_authorization}) {
    EXPECT_TRUE(hop.is_hop_by_hop(name, http::to_string(name))) << http::to_string(name);
  }
  EXPECT_TRUE(hop.is_hop_by_hop(http::field::unknown, "X-ONE"));
  EXPECT_TRUE(hop.is_hop_by_hop(http::field::unknown, "x-two"));
  EXPECT_FALSE(hop.is_hop_by_hop(http::field::unknown, "x-three"));
  EXPECT_FALSE(hop.is_hop_by_hop(http::field::accept, "Accept"));
  EXPECT_FALSE(hop.is_hop_by_hop(http::field::cookie, "Cookie"));
}

TEST(HopByHop, ConnectionCanNameKnownHeaders) {
  http::fields f;
  f.insert("Connection", "close, Cookie");
  const HopByHop hop(f);
  EXPECT_TRUE(hop.names_close());
  EXPECT_TRUE(hop.is_hop_by_hop(http::field::cookie, "Cookie"));
}

TEST(HopByHop, Iequals) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengthx"));
  EXPECT_TRUE(iequals("", ""));
}

}  // namespace
}  // namespace kb::proxy::net
