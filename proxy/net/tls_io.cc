#include "proxy/net/tls_io.h"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>

namespace kb::proxy::net::tls_io {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// OpenSSL wants an empty error queue before each SSL call (SSL_get_error reads it). Clearing an
// empty queue is not free in OpenSSL 3 (ERR_clear_error walks all 16 slots, ~800 instructions,
// twice per keep-alive request): peek first. classify() clears after every failure, so the queue
// is nearly always empty here.
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

// Maps the outcome of an SSL call that returned `ret` <= 0 to a wait or an error.
Want classify(SSL* ssl, int ret, error_code& ec) {
  const int err = SSL_get_error(ssl, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Want::kRead;
    case SSL_ERROR_WANT_WRITE:
      return Want::kWrite;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;  // close_notify
      break;
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      ec = saved == 0 ? error_code(asio::error::eof) : error_code(saved, boost::system::system_category());
      break;
    }
    default: {
      const unsigned long e = ERR_peek_last_error();
      // A peer that closes the TCP connection without close_notify: an end of stream to us.
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::error::eof;
      } else {
        ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
      }
      break;
    }
  }
  ERR_clear_error();
  // After a fatal error OpenSSL forbids SSL_shutdown; quiet shutdown makes it a no-op.
  if (err != SSL_ERROR_ZERO_RETURN) SSL_set_quiet_shutdown(ssl, 1);
  return Want::kDone;
}

}  // namespace

error_code attach(SSL* ssl, asio::ip::tcp::socket& socket) {
  error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return ec;
  if (SSL_set_fd(ssl, static_cast<int>(socket.native_handle())) != 1) {
    ERR_clear_error();
    return asio::error::no_memory;
  }
  // No SSL_MODE_RELEASE_BUFFERS: it frees and allocates both 17 KiB record buffers around every
  // request (6 allocations per keep-alive request); release_buffers() frees them once the
  // connection has been idle for a sweep instead (ClientConnection::on_sweep).
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read(2) per record instead of two (header, then body): OpenSSL reads what the socket has
  // into its record buffer. Bytes read ahead are what tls_io::has_pending sees.
  SSL_set_read_ahead(ssl, 1);
  SSL_set_accept_state(ssl);
  return {};
}

Want handshake_step(SSL* ssl, error_code& ec) {
  clear_errors();
  const int ret = SSL_do_handshake(ssl);
  if (ret == 1) return Want::kDone;
  return classify(ssl, ret, ec);
}

Want read_step(SSL* ssl, void* data, std::size_t size, std::size_t& n, error_code& ec) {
  clear_errors();
  if (SSL_read_ex(ssl, data, size, &n) == 1) return Want::kDone;
  n = 0;
  return classify(ssl, 0, ec);
}

Want write_step(SSL* ssl, const void* data, std::size_t size, std::size_t& n, error_code& ec) {
  clear_errors();
  if (SSL_write_ex(ssl, data, size, &n) == 1) return Want::kDone;
  n = 0;
  return classify(ssl, 0, ec);
}

void release_buffers(SSL* ssl) {
  // Never with bytes still in them (decrypted or not; older OpenSSL 3.0 releases free a buffer a
  // record still points into, CVE-2024-4741). SSL_free_buffers itself refuses a half-written one.
  if (has_pending(ssl)) return;
  if (SSL_free_buffers(ssl) != 1) ERR_clear_error();
}

void send_close_notify(SSL* ssl) {
  if (!SSL_is_init_finished(ssl)) return;  // nothing to close cleanly before the handshake
  ERR_clear_error();
  SSL_shutdown(ssl);  // one try on the non-blocking socket; the peer's close_notify is not awaited
  ERR_clear_error();
}

}  // namespace kb::proxy::net::tls_io
