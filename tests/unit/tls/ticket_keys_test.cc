// Session resumption by tickets across key rotations, on an injected clock.
#include "proxy/tls/ticket_keys.h"

#include <gtest/gtest.h>

#include "proxy/tls/tls_terminator.h"
#include "tests/unit/tls/handshake.h"
#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::tls {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST(TicketKeyRing, RotatesAndForgetsOnTheClock) {
  auto now = std::chrono::system_clock::now();
  TicketKeyRing ring(hours(1), 2, [&] { return now; });
  const auto first = ring.keys();
  ASSERT_EQ(first->keys.size(), 1u);
  EXPECT_EQ(ring.keys(), first);  // no rotation before an hour
  now += minutes(61);
  const auto second = ring.keys();
  ASSERT_EQ(second->keys.size(), 2u);
  EXPECT_NE(second->keys[0].name, first->keys[0].name);
  EXPECT_EQ(second->keys[1].name, first->keys[0].name);  // the old key still decrypts
  now += minutes(61);                                     // 2 h 2 min after the first key
  const auto third = ring.keys();
  ASSERT_EQ(third->keys.size(), 2u);
  EXPECT_EQ(third->keys[1].name, second->keys[0].name);
  for (const auto& k : third->keys) EXPECT_NE(k.name, first->keys[0].name);
  EXPECT_NE(third->keys[0].aes, third->keys[1].aes);
}

class TicketResumption : public ::testing::TestWithParam<int> {
 protected:
  TicketResumption() {
    TlsSettings settings;
    settings.ticket_rotation = hours(1);
    settings.ticket_keys_kept = 2;
    settings.clock = [this] { return now_; };
    terminator_ = std::make_unique<TlsTerminator>(settings);
    config::Table table;
    table.tls.push_back({{"shop.example.com"}, certs_.make("shop", {"shop"}), std::nullopt});
    auto p = terminator_->prepare(table);
    EXPECT_TRUE(p.errors.empty());
    terminator_->publish(p.set);
  }
  test::Outcome connect(SSL_SESSION* session) {
    test::ClientOptions o{"shop.example.com", {"http/1.1"}};
    o.session = session;
    o.max_version = GetParam();
    return test::handshake(terminator_->current(), o);
  }

  test::TempCerts certs_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::unique_ptr<TlsTerminator> terminator_;
};

TEST_P(TicketResumption, ResumesWithThePreviousKeyNotAfterItIsDropped) {
  test::Outcome full = connect(nullptr);
  ASSERT_TRUE(full.ok);
  EXPECT_FALSE(full.resumed);
  ASSERT_NE(full.session, nullptr);
  ASSERT_TRUE(SSL_SESSION_is_resumable(full.session.get()));

  test::Outcome same_key = connect(full.session.get());
  EXPECT_TRUE(same_key.resumed);
  EXPECT_EQ(same_key.served_cn, "shop");

  now_ += minutes(90);  // rotated: the ticket's key is now the previous one
  test::Outcome previous_key = connect(full.session.get());
  EXPECT_TRUE(previous_key.resumed);

  now_ += minutes(60);  // 2 h 30 min: the first key is forgotten
  test::Outcome dropped = connect(full.session.get());
  EXPECT_TRUE(dropped.ok);
  EXPECT_FALSE(dropped.resumed);
}

TEST_P(TicketResumption, SurvivesACertificateReload) {
  test::Outcome full = connect(nullptr);
  ASSERT_TRUE(full.ok);
  config::Table table;
  table.tls.push_back({{"shop.example.com"}, certs_.make("shop2", {"shop"}), std::nullopt});
  auto p = terminator_->prepare(table);
  ASSERT_TRUE(p.errors.empty());
  ASSERT_NE(p.set, terminator_->current());
  terminator_->publish(p.set);
  EXPECT_TRUE(connect(full.session.get()).resumed);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketResumption, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& info) { return info.param == TLS1_2_VERSION ? "Tls12" : "Tls13"; });

}  // namespace
}  // namespace kb::proxy::tls
