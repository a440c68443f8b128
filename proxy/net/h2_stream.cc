// An HTTP/2 stream: request in (head fields, DATA, END_STREAM), its exchange, the response out.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/h2_stream.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <vector>

#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/h2_connection.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;

namespace {

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  // nghttp2 copies names and values at submit time (no NO_COPY flags).
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2Stream::H2Stream(H2Connection& conn, int32_t id)
    : ClientSide(conn.shell().worker(), ClientIo(&conn.shell().transport(), this)),
      H2StreamIo(conn.shell().transport().get_executor()),
      conn_(conn),
      id_(id) {
  const ClientConnection& shell = conn.shell();
  client_ip_ = shell.client_ip();
  client_port_ = shell.client_port();
  peer_trusted_ = shell.peer_trusted();
  draining_ = shell.draining();
}

void H2Stream::add_header(std::string_view name, std::string_view value) { head_.add(name, value); }

void H2Stream::start(std::shared_ptr<ClientConnection> hold, bool end_stream) {
  // The header list limit (SETTINGS_MAX_HEADER_LIST_SIZE, advisory for the client) is enforced
  // here, before any exchange: 431 as for HTTP/1.1 (RFC 9113 10.5.1).
  if (head_.size() > worker_.options().max_header_bytes) return answer_too_large();
  std::string head;
  chunked_ = head_.write(!end_stream, head);
  const auto buf = in_.prepare(head.size());
  std::memcpy(buf.data(), head.data(), head.size());
  in_.commit(head.size());
  if (end_stream) in_eof_ = true;
  head_ = H2RequestHead();  // its strings are not needed any more
  running_ = true;
  worker_.stats().http2_streams.fetch_add(1, std::memory_order_relaxed);
  auto self = std::static_pointer_cast<H2Stream>(shared_from_this());
  asio::co_spawn(worker_.context(), run(std::move(self), std::move(hold)), asio::detached);
}

asio::awaitable<void> H2Stream::run(std::shared_ptr<H2Stream> self,
                                    std::shared_ptr<ClientConnection> hold) {
  H2Stream& s = *self;
  std::unique_ptr<ExchangeBuffers> buffers = s.worker_.take_exchange_buffers();
  bool complete = false;
  {
    Exchange exchange(s, *buffers);
    s.exchange_ = &exchange;
    co_await exchange.run();
    complete = exchange.response_complete();
    s.exchange_ = nullptr;
  }
  s.worker_.give_exchange_buffers(std::move(buffers));
  s.finish(complete);
  (void)hold;  // kept the connection (and its nghttp2 session) alive until here
}

void H2Stream::answer_too_large() {
  static constexpr std::string_view kStatus = ":status";
  static constexpr std::string_view k431 = "431";
  const nghttp2_nv nv = make_nv(kStatus, k431);
  nghttp2_submit_response(conn_.session(), id_, &nv, 1, nullptr);
  worker_.stats().local_responses.fetch_add(1, std::memory_order_relaxed);
  conn_.kick();
}

void H2Stream::finish(bool complete) {
  running_ = false;
  if (!failed_) {
    if (head_sent_ && complete) {
      out_eof_ = true;
      if (!in_eof_) reset_after_end_ = true;
      nghttp2_session_resume_data(conn_.session(), id_);
    } else {
      // Nothing, or part of a response, went out: the client must not take it for complete.
      nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    }
    conn_.kick();
  }
}

void H2Stream::on_data(const uint8_t* data, std::size_t size) {
  if (!running_) {
    // Nobody reads this request any more: give the window back at once.
    nghttp2_session_consume_stream(conn_.session(), id_, size);
    return;
  }
  const char* p = reinterpret_cast<const char*>(data);
  if (chunked_ && size > 0) {
    char prefix[24];
    const std::size_t n = write_chunk_prefix(size, prefix);
    in_.commit(asio::buffer_copy(in_.prepare(n), asio::buffer(prefix, n)));
  }
  in_.commit(asio::buffer_copy(in_.prepare(size), asio::buffer(p, size)));
  if (chunked_ && size > 0) in_.commit(asio::buffer_copy(in_.prepare(2), asio::buffer("\r\n", 2)));
  window_owed_ += size;
  wake();
}

void H2Stream::on_request_end() {
  if (in_eof_) return;
  if (chunked_ && running_)
    in_.commit(asio::buffer_copy(in_.prepare(5), asio::buffer("0\r\n\r\n", 5)));
  in_eof_ = true;
  wake();
}

void H2Stream::on_request_read(std::size_t n) {
  const std::size_t give = in_.size() == 0 ? window_owed_ : std::min(window_owed_, n);
  if (give == 0) return;
  window_owed_ -= give;
  nghttp2_session_consume_stream(conn_.session(), id_, give);
  conn_.kick();  // a WINDOW_UPDATE may be due
}

void H2Stream::on_closed() {
  failed_ = true;
  closed_ = true;
  if (exchange_ != nullptr) exchange_->close();
  wake();
}

void H2Stream::on_sweep(Clock::time_point now) {
  if (now < deadline_) return;
  timed_out_ = true;
  deadline_ = Clock::time_point::max();
  cancel();
  if (exchange_ != nullptr) exchange_->cancel();
}

void H2Stream::on_response_sent() {
  if (!reset_after_end_) return;
  reset_after_end_ = false;
  nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
}

// The exchange's response bytes: the head (until CRLF CRLF) becomes HEADERS, the rest is body.
std::size_t H2Stream::take_response(const char* data, std::size_t size) {
  if (!head_sent_) {
    const std::size_t before = response_head_.size();
    response_head_.append(data, size);
    const std::size_t end = response_head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) return size;
    const std::size_t used = end + 4 - before;
    response_head_.resize(end + 4);
    if (!submit_head()) {
      failed_ = true;  // our own head did not parse: never happens, but never send garbage
      return size;
    }
    response_head_.clear();
    return used + (used < size ? take_response(data + used, size - used) : 0);
  }
  const std::size_t take = std::min(kResponseBuffer - std::min(kResponseBuffer, out_.size()), size);
  if (take == 0) return 0;
  out_.commit(asio::buffer_copy(out_.prepare(take), asio::buffer(data, take)));
  nghttp2_session_resume_data(conn_.session(), id_);
  conn_.kick();
  return take;
}

// An interim (1xx) head is dropped: HTTP/2 clients get the final response only.
bool H2Stream::submit_head() {
  H2ResponseHead head;
  if (!parse_response_head(response_head_, head)) return false;
  if (head.status < 200) return true;
  const std::string status = std::to_string(head.status);
  std::vector<nghttp2_nv> nva;
  nva.reserve(head.fields.size() + 1);
  nva.push_back(make_nv(":status", status));
  for (const auto& [name, value] : head.fields) nva.push_back(make_nv(name, value));
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &H2Stream::read_response;
  if (nghttp2_submit_response(conn_.session(), id_, nva.data(), nva.size(), &provider) != 0)
    return false;
  head_sent_ = true;
  conn_.kick();
  return true;
}

ssize_t H2Stream::read_response(nghttp2_session*, int32_t, uint8_t* buf, std::size_t length,
                                uint32_t* data_flags, nghttp2_data_source* source, void*) {
  H2Stream& s = *static_cast<H2Stream*>(source->ptr);
  const std::size_t n = asio::buffer_copy(asio::buffer(buf, length), s.out_.data());
  s.out_.consume(n);
  if (n > 0) s.wake();  // room for the exchange's next write
  if (s.out_.size() == 0 && s.out_eof_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (n == 0) {
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

}  // namespace kb::proxy::net
