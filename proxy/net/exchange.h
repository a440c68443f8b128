#pragma once
// One request on a client connection, created fresh for each request (nothing is reset by hand):
// its head (RequestInfo from the codec), its route, its session route and pick, the attempts, the
// byte counters, the access-log record and its timing. Everything bigger than a few words lives in
// the ExchangeBuffers the worker lent the connection. Its jobs, one file each:
//   exchange.cc        the request's life: head, routing, forwarded head, log record
//   forwarding.cc      the client's scheme: X-Forwarded-*, redirect to https://, HSTS
//   route_actions.cc   the matched route's actions: allow, redirect, body limit, rewrite, header
//                      modifiers, timeouts and attempts (docs/table-format.md "Route")
//   attempt_loop.cc    pick, connect, send, failover (the only retry logic)
//   member_io.cc       sending the request and reading the member's response head
//   upload.cc          the request body, pumped beside the response (full duplex), its minimum
//                      rate, and the client hanging up while the member works
//   response.cc        relaying the response (status, head, body)
//   tunnel.cc          Upgrade: bytes both ways after a 101
//   local_response.cc  the proxy's own short answers (4xx/5xx)
// Both bodies go through body_pump.h.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "proxy/core/balancer.h"
#include "proxy/core/forwarded.h"
#include "proxy/core/request_view.h"
#include "proxy/core/snapshot.h"
#include "proxy/net/exchange_buffers.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/http1_codec.h"
#include "proxy/net/proxy_server.h"
#include "proxy/net/upstream_pool.h"

namespace kb::proxy::net {

class ClientSide;
class ClientStream;
class Worker;

class Exchange {
 public:
  using Clock = std::chrono::steady_clock;

  Exchange(ClientSide& conn, ExchangeBuffers& buffers);
  ~Exchange();  // a member connection still held is closed
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Reads the request head, answers the request; returns whether the connection stays open.
  boost::asio::awaitable<bool> run();
  void cancel();  // the sweep found the deadline passed: cancel the member side
  void close();   // the connection closes now
  // From an HTTP/1.1 connection's sweep: while the member has the request, a client that hung up
  // (EOF or reset on a peek, at most once a second) is recorded (499); true = close the connection,
  // which ends the exchange and the member connection (upload.cc). An HTTP/2 client that leaves
  // resets its streams instead (h2_connection.cc).
  bool check_client(Clock::time_point now, ClientStream& client);
  // The whole response (relayed or local) went to the client: an HTTP/2 stream then ends with
  // END_STREAM, else with RST_STREAM.
  bool response_complete() const { return response_complete_; }

 private:
  enum class SendResult { kOk, kUpstreamError, kClientError, kBadBody, kSlowBody };
  enum class ReadResult { kOk, kTimeout, kNoResponse, kBadResponse, kClientGone };
  struct Attempt;  // attempt_loop.cc
  // A local answer instead of forwarding: status 0 = none; `text` is the body of respond_local,
  // or the Location of respond_redirect when `redirect`.
  struct LocalAnswer {
    unsigned status = 0;
    std::string_view text;
    bool redirect = false;
  };
  // route_actions.cc: plain functions, so a request that is forwarded allocates no coroutine frame
  // for them.
  LocalAnswer enforce_route();
  LocalAnswer enforce_body_limit(const config::Route& route);
  void rewrite_for_member(const core::CompiledRoute& compiled);
  void modify_request_headers();
  void modify_response_headers();
  std::string_view route_host() const;
  std::chrono::milliseconds route_connect_timeout(const core::Balancer& b, const core::Member& m) const;
  void set_route_timeouts(const core::Balancer& b, const core::Member& m);
  int max_attempts(const core::Balancer& balancer) const;
  // attempt_loop.cc
  struct RequestPumpHooks;
  struct ResponsePumpHooks;

  // exchange.cc
  boost::asio::awaitable<bool> route();
  boost::asio::awaitable<bool> answer(const LocalAnswer& a);
  // What every response decides the same way, relayed or local: whether the client connection
  // stays open after it (the request allows it, no drain, not closed; keep_alive() also wants its
  // body read whole), and whether it answers a HEAD request (a head without a body).
  bool client_keep_alive() const;
  bool keep_alive() const;
  bool head_request() const;
  void build_request_head(const core::Balancer& balancer, const core::Member& member);
  void release_upstream(bool reusable);
  boost::asio::awaitable<boost::system::error_code> write_client(std::string_view data);
  void log_request();
  // forwarding.cc
  void scan_request_fields(const core::Snapshot& snapshot);
  void decide_scheme(const core::Snapshot& snapshot);
  core::RequestView request_view();  // views into req_ and b_.header_views
  LocalAnswer redirect_to_https(const core::Snapshot& snapshot);
  // attempt_loop.cc
  boost::asio::awaitable<bool> proxy(core::Balancer& balancer);
  void pick(core::Balancer& balancer, Attempt& a);
  boost::asio::awaitable<std::optional<bool>> no_member(core::Balancer& balancer, Attempt& a);
  void picked(Attempt& a);
  boost::asio::awaitable<void> wait_for_member(core::Balancer& balancer, Attempt& a);
  bool take_pooled(Attempt& a);
  boost::asio::awaitable<std::optional<bool>> open_upstream(core::Balancer& balancer, Attempt& a);
  boost::asio::awaitable<std::optional<bool>> after_failure(core::Balancer& balancer, Attempt& a,
                                                            SendResult sent, ReadResult got);
  boost::asio::awaitable<boost::system::error_code> connect(const core::Member& member,
                                                            std::chrono::milliseconds timeout);
  // member_io.cc
  boost::asio::awaitable<SendResult> send_request();
  boost::asio::awaitable<SendResult> resend_request();
  boost::asio::awaitable<ReadResult> read_response_header();
  void fresh_response_parser();
  // upload.cc: the request body goes up while the response head (and body) comes down, so a
  // member that answers while it reads (an echo) never deadlocks against a full socket.
  void start_upload();
  boost::asio::awaitable<void> upload();
  // Waits for the upload; `stop` ends it first (the response is over or failed). Its result as a
  // send result (kOk also when stopped here: the response decides).
  boost::asio::awaitable<SendResult> end_upload(bool stop);
  bool body_too_slow(Clock::time_point now) const;
  // response.cc
  boost::asio::awaitable<bool> relay_response(core::Balancer& balancer, const core::Member& member,
                                              const core::Pick& pick);
  Framing build_response_head(const core::Balancer& balancer, const core::Member& member,
                           const core::Pick& pick, bool keep);
  // tunnel.cc
  boost::asio::awaitable<bool> tunnel();
  boost::asio::awaitable<bool> tunnel_open();
  boost::asio::awaitable<void> tunnel_back();
  // local_response.cc: a short text response; returns whether the connection stays open.
  boost::asio::awaitable<bool> respond_local(unsigned status, std::string_view text);
  boost::asio::awaitable<bool> respond_redirect(unsigned status, std::string_view location);
  boost::asio::awaitable<bool> send_local(unsigned status, bool keep);

  ClientSide& conn_;
  Worker& worker_;
  ExchangeBuffers& b_;
  RequestInfo req_;
  std::unique_ptr<UpstreamConn> up_;
  boost::asio::ip::tcp::resolver* resolver_ = nullptr;  // while resolving, for cancellation
  core::ForwardedDecision forwarded_{false, "http"};  // the client's scheme; X-Forwarded-For kept?
  std::optional<std::string_view> incoming_proto_;   // the first X-Forwarded-Proto, trusted peers only
  std::string_view hsts_;              // Strict-Transport-Security for this response, "" = none
  std::string_view target_;  // origin-form target for the member (the request's, or b_.rewritten)
  core::RouteDecision decision_;  // route and balancer; pointers into the snapshot route() holds
  bool header_read_ = false;  // req_ is valid
  bool sent_continue_ = false;
  bool request_sent_ = false;  // head and body fully delivered to the member
  bool sent_once_ = false;     // the body was consumed from the client by a first send
  bool replayable_ = false;    // the whole request went out in one write (b_.request_write)
  int attempts_ = 0;
  boost::system::error_code body_error_;
  std::chrono::milliseconds io_timeout_{60000};    // the member's response timeout
  std::chrono::milliseconds send_timeout_{60000};  // per write of the request to the member
  uint64_t bytes_to_ = 0;    // to the member (socket bytes)
  uint64_t bytes_from_ = 0;  // from the member (socket bytes)
  unsigned response_status_ = 0;
  bool response_complete_ = false;
  Clock::time_point started_ = Clock::now();
  RequestRecord record_;
  // The request body upload beside the response (upload.cc).
  std::optional<boost::asio::steady_timer> upload_done_;
  bool upload_running_ = false;
  bool upload_stopped_ = false;  // end_upload() stopped it
  bool member_phase_ = false;    // the member has (part of) the request: check_client() watches
  SendResult upload_result_ = SendResult::kOk;
  Clock::time_point next_client_check_{};
  Clock::time_point body_started_{};     // first body read, for the minimum rate
  Clock::time_point body_read_since_{};  // the pending client read began, max() = none
  std::chrono::milliseconds body_read_limit_{0};  // what that read was armed with
  // Upgrade tunnels only.
  std::optional<boost::asio::steady_timer> tunnel_done_;
  bool tunnel_back_running_ = false;
  uint64_t tunnel_up_bytes_ = 0;
  uint64_t tunnel_down_bytes_ = 0;
};

}  // namespace kb::proxy::net
