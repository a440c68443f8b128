#include "proxy/tls/tls_terminator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <thread>

#include "tests/unit/tls/handshake.h"
#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class TlsTerminatorTest : public ::testing::Test {
 protected:
  TlsTerminatorTest() {
    TlsSettings settings;
    settings.log_info = [this](const std::string& line) { logged_.push_back(line); };
    terminator_ = std::make_unique<TlsTerminator>(settings);
  }
  config::Table table_with(const config::CertificateFiles& files) {
    config::Table t;
    t.tls.push_back({{"shop.example.com"}, files, std::nullopt});
    return t;
  }

  test::TempCerts certs_;
  std::vector<std::string> logged_;
  std::unique_ptr<TlsTerminator> terminator_;
};

TEST_F(TlsTerminatorTest, ErrorsNameTheFieldAndTheFile) {
  const auto good = certs_.make("good", {"good"});
  const auto other = certs_.make("other", {"other"});
  config::Table t = table_with(good);
  t.tls.push_back({{"b.example.com"}, {good.certificate, other.key}, std::nullopt});
  t.default_certificate = config::CertificateFiles{certs_.dir() + "/none.crt", good.key};
  const auto p = terminator_->prepare(t);
  EXPECT_EQ(p.set, nullptr);
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].field, "tls[1].key");
  EXPECT_NE(p.errors[0].message.find("does not match"), std::string::npos);
  EXPECT_EQ(p.errors[1].field, "defaultcertificate.certificate");
  EXPECT_EQ(p.errors[1].message, certs_.dir() + "/none.crt: no such file");
}

TEST_F(TlsTerminatorTest, UnchangedFilesReuseTheSetAndChangedOnesAreReread) {
  const auto files = certs_.make("shop", {"first"});
  auto a = terminator_->prepare(table_with(files));
  ASSERT_TRUE(a.errors.empty());
  auto b = terminator_->prepare(table_with(files));
  EXPECT_EQ(a.set, b.set);  // nothing changed: no new contexts
  // Rotate the files in place (a Secret update): a new set with the new certificate.
  const auto rotated = certs_.make("rotated", {"second"});
  ASSERT_EQ(rename(rotated.certificate.c_str(), files.certificate.c_str()), 0);
  ASSERT_EQ(rename(rotated.key.c_str(), files.key.c_str()), 0);
  auto c = terminator_->prepare(table_with(files));
  ASSERT_TRUE(c.errors.empty());
  EXPECT_NE(c.set, a.set);
  EXPECT_EQ(test::common_name(c.set->certificate_for("shop.example.com").leaf.get()), "second");
}

TEST_F(TlsTerminatorTest, SelfSignedDefaultIsGeneratedAndLoggedOnce) {
  const auto files = certs_.make("shop", {"shop"});
  auto a = terminator_->prepare(table_with(files));
  auto b = terminator_->prepare(config::Table{});
  ASSERT_TRUE(a.errors.empty() && b.errors.empty());
  EXPECT_EQ(&a.set->certificate_for(""), &b.set->certificate_for(""));
  ASSERT_EQ(logged_.size(), 1u);
  EXPECT_NE(logged_[0].find("self-signed"), std::string::npos);
  EXPECT_NE(logged_[0].find("kube-balancer default"), std::string::npos);
}

TEST_F(TlsTerminatorTest, ARejectedReloadKeepsServingAndInFlightHandshakesFinishOnTheirSet) {
  const auto first = certs_.make("first", {"first"});
  auto p = terminator_->prepare(table_with(first));
  terminator_->publish(p.set);
  const auto old_set = terminator_->current();

  // A bad certificate: nothing published, the old set serves.
  const std::string junk = certs_.write("junk.crt", "not pem");
  auto bad = terminator_->prepare(table_with({junk, first.key}));
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].field, "tls[0].certificate");
  EXPECT_EQ(terminator_->current(), old_set);
  EXPECT_EQ(test::handshake(terminator_->current(), {"shop.example.com", {}}).served_cn, "first");

  // A handshake that started before a good reload ends with the certificate of its own set.
  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr client(SSL_new(client_ctx.get()));
  SslPtr server(SSL_new(old_set->listener_context().native_handle()));
  TlsTerminator::attach(server.get(), old_set);
  SSL_set_tlsext_host_name(client.get(), "shop.example.com");
  test::join(client.get(), server.get());
  SSL_do_handshake(client.get());  // ClientHello written, not yet read by the server

  const auto second = certs_.make("second", {"second"});
  auto good = terminator_->prepare(table_with(second));
  terminator_->publish(good.set);
  std::weak_ptr<const CertificateSet> old_weak = old_set;
  p.set.reset();
  const_cast<std::shared_ptr<const CertificateSet>&>(old_set).reset();
  EXPECT_FALSE(old_weak.expired());  // held by the SSL in flight

  ASSERT_TRUE(test::drive(client.get(), server.get()));
  X509Ptr peer(SSL_get1_peer_certificate(client.get()));
  EXPECT_EQ(test::common_name(peer.get()), "first");
  EXPECT_EQ(test::handshake(terminator_->current(), {"shop.example.com", {}}).served_cn, "second");
  server.reset();
  EXPECT_TRUE(old_weak.expired());
}

// The shell's calls on a real socket: make_stream, async_handshake, handshake_info.
TEST_F(TlsTerminatorTest, MakeStreamHandshakesOnLoopback) {
  const auto files = certs_.make("shop", {"shop"});
  auto p = terminator_->prepare(table_with(files));
  terminator_->publish(p.set);

  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  std::string alpn, sni, error;
  std::unique_ptr<TlsStream> server;
  acceptor.async_accept([&](boost::system::error_code ec, tcp::socket socket) {
    ASSERT_FALSE(ec);
    server = std::make_unique<TlsStream>(terminator_->make_stream(std::move(socket)));
    server->async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code hec) {
      if (hec) error = hec.message();
      const HandshakeInfo info = handshake_info(server->native_handle());
      alpn = info.alpn;
      sni = info.sni;
    });
  });
  std::string served;
  std::thread client_thread([&] {
    asio::io_context cio;
    asio::ssl::context cctx(asio::ssl::context::tls_client);
    asio::ssl::stream<tcp::socket> client(cio, cctx);
    client.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    SSL_set_tlsext_host_name(client.native_handle(), "shop.example.com");
    const unsigned char protos[] = "\x08http/1.1";
    SSL_set_alpn_protos(client.native_handle(), protos, sizeof protos - 1);
    boost::system::error_code ec;
    client.handshake(asio::ssl::stream_base::client, ec);
    X509Ptr peer(SSL_get1_peer_certificate(client.native_handle()));
    served = test::common_name(peer.get());
  });
  io.run();
  client_thread.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(alpn, "http/1.1");
  EXPECT_EQ(sni, "shop.example.com");
  EXPECT_EQ(served, "shop");
}

}  // namespace
}  // namespace kb::proxy::tls
