#pragma once
// The one body pump, used for both directions (request body client -> member, response body
// member -> client): a Beast parser in eager mode fills the relay chunk from the source's buffer,
// the chunk leaves in one gather write, re-framed (chunked bodies are de-chunked and re-chunked),
// with the header block riding on the first write (PERFORMANCE.md: one write per message). What
// differs per direction (timeouts, counters, what an error means) is in the Hooks:
//   void before_read();  void on_read(std::size_t socket_bytes);
//   void before_write(); void on_written(std::size_t socket_bytes);
//   void on_chunk(std::size_t body_bytes, bool written, bool first, bool done);
//   bool closed() const;
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <algorithm>
#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string_view>

#include "proxy/net/exchange_buffers.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/session_util.h"

namespace kb::proxy::net {

enum class PumpEnd {
  kDone,        // the whole body went out
  kBadSource,   // framing error, over a limit, or a truncated close-delimited body
  kSourceGone,  // the source's read failed
  kSinkGone,    // the sink's write failed
};

struct PumpResult {
  PumpEnd end = PumpEnd::kDone;
  boost::system::error_code error;  // the parser's error for kBadSource
};

struct PumpPlan {
  std::string_view head;      // sent with the first write ("" = none)
  bool chunked = false;       // re-chunk towards the sink
  bool eof_ends_body = false;     // a read EOF completes a close-delimited body (responses)
  std::size_t max_buffered = 0;   // source buffer bound, 0 = none
  char* chunk = nullptr;          // the relay chunk (detail::kBodyBufSize)
  WriteList* out = nullptr;       // gather list storage (kept for replays)
  std::array<char, 24>* prefix = nullptr;
};

namespace pump_detail {

enum class Fill { kReady, kNeedRead, kBad };

// Feeds buffered source bytes to the parser until the chunk is full, the body is done, or more
// bytes are needed. Not a coroutine: no frame per chunk.
template <class Parser>
Fill fill(Parser& parser, boost::beast::flat_buffer& in, boost::system::error_code& error) {
  namespace http = boost::beast::http;
  auto& body = parser.get().body();
  for (;;) {
    if (in.size() > 0) {
      boost::system::error_code pec;
      const std::size_t n = parser.put(in.data(), pec);
      in.consume(n);
      if (pec == http::error::need_buffer) return Fill::kReady;  // relay chunk full
      if (pec == http::error::need_more) pec = {};
      if (pec) {
        error = pec;
        return Fill::kBad;
      }
      if (parser.is_done()) return Fill::kReady;
      if (n > 0 && in.size() > 0) continue;
    }
    // Forward what we have now; else read as much as the chunk holds, one syscall per chunk.
    return body.size != detail::kBodyBufSize ? Fill::kReady : Fill::kNeedRead;
  }
}

inline std::size_t frame(const PumpPlan& plan, bool first, std::size_t got, bool done) {
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  WriteList& out = *plan.out;
  out = {};
  std::size_t nb = 0;
  if (first && !plan.head.empty()) out[nb++] = boost::asio::buffer(plan.head);
  if (got > 0) {
    if (plan.chunked) {
      char prefix[24];
      const std::size_t len = write_chunk_prefix(got, prefix);
      std::copy(prefix, prefix + len, plan.prefix->begin());
      out[nb++] = boost::asio::buffer(plan.prefix->data(), len);
      out[nb++] = boost::asio::buffer(plan.chunk, got);
      out[nb++] = boost::asio::buffer(kCrlf.data(), kCrlf.size());
    } else {
      out[nb++] = boost::asio::buffer(plan.chunk, got);
    }
  }
  if (done && plan.chunked) out[nb++] = boost::asio::buffer(kLastChunk.data(), kLastChunk.size());
  return nb;
}

}  // namespace pump_detail

// Reads the body through `parser` from `source` (whose read buffer is `in`) into `sink`.
template <class Parser, class Source, class Sink, class Hooks>
boost::asio::awaitable<PumpResult> pump_body(Parser& parser, boost::beast::flat_buffer& in,
                                             Source& source, Sink& sink, const PumpPlan& plan,
                                             Hooks& hooks) {
  using detail::with;
  auto& body = parser.get().body();
  parser.eager(true);
  for (bool first = true;; first = false) {
    std::size_t got = 0;
    if (!parser.is_done()) {
      body.data = plan.chunk;
      body.size = detail::kBodyBufSize;
      for (;;) {
        PumpResult bad{PumpEnd::kBadSource, {}};
        const auto step = pump_detail::fill(parser, in, bad.error);
        if (step == pump_detail::Fill::kBad) co_return bad;
        if (step == pump_detail::Fill::kReady) break;
        const std::size_t want = std::max(detail::kReadSize, static_cast<std::size_t>(body.size));
        if (plan.max_buffered > 0 && in.size() + want > plan.max_buffered)
          co_return PumpResult{PumpEnd::kBadSource, boost::beast::http::error::bad_chunk};
        hooks.before_read();
        boost::system::error_code ec;
        const std::size_t n = co_await source.async_read_some(in.prepare(want), with(ec));
        if (ec == boost::asio::error::eof && plan.eof_ends_body) {
          parser.put_eof(bad.error);  // completes a close-delimited body; anything else truncated
          if (bad.error) co_return bad;
          break;
        }
        if (ec || hooks.closed()) co_return PumpResult{PumpEnd::kSourceGone, ec};
        in.commit(n);
        hooks.on_read(n);
      }
      got = detail::kBodyBufSize - body.size;
    }
    const bool done = parser.is_done();
    hooks.on_chunk(got, false, first, done);
    if (pump_detail::frame(plan, first, got, done) > 0) {
      hooks.before_write();
      boost::system::error_code ec;
      hooks.on_written(co_await boost::asio::async_write(sink, *plan.out, with(ec)));
      if (ec || hooks.closed()) co_return PumpResult{PumpEnd::kSinkGone, ec};
    }
    hooks.on_chunk(got, true, first, done);
    if (done) co_return PumpResult{};
  }
}

}  // namespace kb::proxy::net
