// nghttp2's side of an HTTP/2 connection: the session with its settings and options, and the
// callbacks that turn frames into H2Stream events and charge the flood budgets.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/connection.h"
#include "proxy/net/h2_connection.h"
#include "proxy/net/h2_stream.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace {

H2Stream* stream_of(nghttp2_session* session, int32_t id) {
  return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

bool ends_stream(const nghttp2_frame* frame) {
  return (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
}

// Frames that cost work without carrying a request (H2FloodGuard); none for the rest.
bool flood_kind(const nghttp2_frame* frame, H2FloodGuard::Kind& kind) {
  switch (frame->hd.type) {
    case NGHTTP2_RST_STREAM:
      kind = H2FloodGuard::Kind::kReset;
      return true;
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
      kind = H2FloodGuard::Kind::kControl;
      return (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0;
    case NGHTTP2_PRIORITY:
      kind = H2FloodGuard::Kind::kControl;
      return true;
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS:
      kind = H2FloodGuard::Kind::kEmpty;
      return frame->hd.length == 0 && !ends_stream(frame);
    default:
      return false;
  }
}

}  // namespace

struct H2Callbacks {
  static H2Connection& conn(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame,
                              void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    H2Connection& c = conn(user_data);
    auto stream = std::make_shared<H2Stream>(c, frame->hd.stream_id);
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
    c.streams_.emplace(frame->hd.stream_id, std::move(stream));
    c.update_idle_deadline();
    return 0;
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                       std::size_t namelen, const uint8_t* value, std::size_t valuelen, uint8_t,
                       void*) {
    // Trailers (a second HEADERS) are not forwarded: the member gets the body de-framed.
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    if (H2Stream* s = stream_of(session, frame->hd.stream_id)) {
      s->add_header({reinterpret_cast<const char*>(name), namelen},
                    {reinterpret_cast<const char*>(value), valuelen});
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    H2Connection& c = conn(user_data);
    H2FloodGuard::Kind kind{};
    if (flood_kind(frame, kind) && !c.guard_.charge(kind, H2FloodGuard::Clock::now())) {
      c.calm_down();
      return NGHTTP2_ERR_CALLBACK_FAILURE;  // stop reading now; the GOAWAY is still sent
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    H2Stream* s = stream_of(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      const auto it = c.streams_.find(frame->hd.stream_id);
      if (it != c.streams_.end()) it->second->start(c.hold_, ends_stream(frame));
      return 0;
    }
    if (ends_stream(frame)) s->on_request_end();
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                           const uint8_t* data, std::size_t len, void*) {
    // The connection window is given back at once (a stalled stream must not block the others);
    // each stream's window only as its exchange reads (H2Stream::on_request_read).
    nghttp2_session_consume_connection(session, len);
    if (H2Stream* s = stream_of(session, stream_id)) {
      s->on_data(data, len);
    } else {
      nghttp2_session_consume_stream(session, stream_id, len);
    }
    return 0;
  }

  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        ends_stream(frame)) {
      if (H2Stream* s = stream_of(session, frame->hd.stream_id)) s->on_response_sent();
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    H2Connection& c = conn(user_data);
    const auto it = c.streams_.find(stream_id);
    if (it == c.streams_.end()) return 0;
    const std::shared_ptr<H2Stream> stream = std::move(it->second);
    c.streams_.erase(it);
    stream->on_closed();
    c.update_idle_deadline();
    return 0;
  }
};

bool H2Connection::start_session() {
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &H2Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, &H2Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &H2Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &H2Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, &H2Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &H2Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // windows follow what the exchanges read
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_continuations(opt, 8);  // CONTINUATION frames per header block
  const int rv = nghttp2_session_server_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) return false;
  const uint32_t header_list = static_cast<uint32_t>(shell_.worker().options().max_header_bytes);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kInitialWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, header_list},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0)
    return false;
  return nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow) ==
         0;
}

}  // namespace kb::proxy::net
