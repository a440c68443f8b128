#pragma once
// TLS on a client socket the way nginx does it: OpenSSL reads and writes the socket itself (a
// socket BIO on the non-blocking descriptor) and Asio only waits for readiness. Boost.Asio's
// ssl::stream keeps two 17 KiB buffers per connection for its BIO pair (plus the pair's own
// 2 x 17 KiB), for the connection's whole life; here an idle TLS connection holds the SSL object
// only: OpenSSL's record buffers are freed once the connection has been idle for a sweep
// (release_buffers), not around every request as SSL_MODE_RELEASE_BUFFERS would.
// Each operation is one step function (tls_io.cc) that either completes or says which readiness
// it waits for; TlsOp retries the step after that wait. Single-threaded use (the worker), at most
// one read and one write in flight (a tunnel has both), as OpenSSL allows.
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <cstddef>
#include <cstring>

namespace kb::proxy::net::tls_io {

// What a step needs next: nothing (completed, with a result and maybe an error) or readiness.
enum class Want { kDone, kRead, kWrite };

// Makes `ssl` (a server SSL, not yet used) talk over `socket`: non-blocking descriptor, partial
// writes, moving write buffers, released record buffers, read-ahead.
boost::system::error_code attach(SSL* ssl, boost::asio::ip::tcp::socket& socket);

// One try of each operation. On Want::kDone `ec` holds the outcome (asio::error::eof for the
// peer's close_notify or a close without one) and `n` the bytes moved.
Want handshake_step(SSL* ssl, boost::system::error_code& ec);
Want read_step(SSL* ssl, void* data, std::size_t size, std::size_t& n, boost::system::error_code& ec);
Want write_step(SSL* ssl, const void* data, std::size_t size, std::size_t& n, boost::system::error_code& ec);

// Frees OpenSSL's record buffers of an idle connection (they come back with the next record).
void release_buffers(SSL* ssl);

// Sends close_notify without waiting for the peer's (as nginx): best effort, never blocks.
void send_close_notify(SSL* ssl);

// Whether a read would find decrypted or undecrypted bytes OpenSSL already holds.
inline bool has_pending(const SSL* ssl) { return SSL_pending(ssl) > 0 || SSL_has_pending(ssl) == 1; }

// The first non-empty buffer of a mutable sequence (the codec and the pump pass one).
template <class Buffers>
boost::asio::mutable_buffer first_buffer(const Buffers& buffers) {
  for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
    boost::asio::mutable_buffer b(*it);
    if (b.size() > 0) return b;
  }
  return {};
}

// A composed operation retrying `step` (a callable (SSL*, size_t& n, error_code&) -> Want) after
// each readiness wait. A step that completes at once is delivered through post(), never inline,
// as Asio's own operations (a coroutine must not be resumed inside its own initiation).
template <class Step>
struct TlsOp {
  boost::asio::ip::tcp::socket& socket;
  SSL* ssl;
  Step step;
  bool posted = false;
  std::size_t n = 0;
  boost::system::error_code result;

  template <class Self>
  void operator()(Self& self, boost::system::error_code wait_ec = {}) {
    if (posted) return self.complete(result, n);
    if (wait_ec) return self.complete(wait_ec, 0);  // the wait was cancelled (sweep, close)
    // A closed socket's descriptor number may already belong to another connection: OpenSSL
    // must not touch it.
    const Want want = socket.is_open() ? step(ssl, n, result) : Want::kDone;
    if (!socket.is_open()) result = boost::asio::error::bad_descriptor;
    switch (want) {
      case Want::kRead:
        return socket.async_wait(boost::asio::ip::tcp::socket::wait_read, std::move(self));
      case Want::kWrite:
        return socket.async_wait(boost::asio::ip::tcp::socket::wait_write, std::move(self));
      case Want::kDone:
        break;
    }
    posted = true;
    boost::asio::post(socket.get_executor(), std::move(self));
  }
};

template <class Step, class Token>
auto async_tls(boost::asio::ip::tcp::socket& socket, SSL* ssl, Step step, Token&& token) {
  return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
      TlsOp<Step>{socket, ssl, std::move(step), false, 0, {}}, token, socket);
}

// Gathers the first bytes of `buffers` (at most one TLS record) into `out`; returns their count.
// A single buffer is used in place (returned through `data`).
template <class Buffers>
std::size_t gather(const Buffers& buffers, char (&out)[16384], const void*& data) {
  std::size_t used = 0;
  data = out;
  for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
    boost::asio::const_buffer b(*it);
    if (b.size() == 0) continue;
    if (used == 0 && b.size() >= sizeof out) {
      data = b.data();
      return b.size();
    }
    const std::size_t take = std::min(b.size(), sizeof out - used);
    std::memcpy(out + used, b.data(), take);
    used += take;
    if (used == sizeof out) break;
  }
  return used;
}

}  // namespace kb::proxy::net::tls_io
