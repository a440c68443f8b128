#include "proxy/health/http_probe.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

namespace kb::proxy::health {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::shared_ptr<HttpProbe> HttpProbe::start(asio::any_io_executor executor, ProbeRequest request, Done done) {
  auto probe = std::make_shared<HttpProbe>(executor, std::move(request), std::move(done));
  asio::post(executor, [probe] { probe->run(); });
  return probe;
}

HttpProbe::HttpProbe(asio::any_io_executor executor, ProbeRequest request, Done done)
    : request_(std::move(request)),
      done_(std::move(done)),
      resolver_(executor),
      socket_(executor),
      deadline_(executor) {}

void HttpProbe::run() {
  if (finished_) return;  // cancelled before it started
  deadline_.expires_after(request_.timeout);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->finished_) return;
    // Aborting the pending operation makes its handler report the failure.
    self->timed_out_ = true;
    self->resolver_.cancel();
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(request_.host, ec);
  if (!ec) {
    const tcp::endpoint endpoint(address, request_.port);
    socket_.async_connect(endpoint, [self = shared_from_this()](const boost::system::error_code& e) {
      self->on_connect(e);
    });
    return;
  }
  resolver_.async_resolve(request_.host, std::to_string(request_.port),
                          [self = shared_from_this()](const boost::system::error_code& e,
                                                      tcp::resolver::results_type results) {
                            self->on_resolve(e, std::move(results));
                          });
}

void HttpProbe::on_resolve(const boost::system::error_code& ec, tcp::resolver::results_type results) {
  if (ec) return fail(ec, "resolve");
  asio::async_connect(socket_, results,
                      [self = shared_from_this()](const boost::system::error_code& e, const tcp::endpoint&) {
                        self->on_connect(e);
                      });
}

void HttpProbe::on_connect(const boost::system::error_code& ec) {
  if (ec || timed_out_ || cancelled_) return fail(ec, "connect");
  result_.connected = true;
  if (request_.method.empty()) {
    result_.complete = true;
    return finish();
  }
  request_text_ = request_.method + " " + request_.target + (request_.http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  request_text_ += "Host: " + request_.host_header + "\r\n";
  request_text_ += "User-Agent: kube-balancer-hcheck\r\n";
  if (request_.http11) request_text_ += "Connection: close\r\n";
  request_text_ += "\r\n";
  asio::async_write(socket_, asio::buffer(request_text_),
                    [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
                      self->on_write(e);
                    });
}

void HttpProbe::on_write(const boost::system::error_code& ec) {
  if (ec || timed_out_ || cancelled_) return fail(ec, "write");
  parser_.body_limit(request_.body_limit);
  if (request_.method == "HEAD") parser_.skip(true);
  http::async_read(socket_, buffer_, parser_,
                   [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
                     self->on_read(e);
                   });
}

void HttpProbe::on_read(const boost::system::error_code& ec) {
  if (parser_.is_header_done()) result_.status = static_cast<int>(parser_.get().result_int());
  if (ec || timed_out_ || cancelled_) return fail(ec, "read");
  result_.body = std::move(parser_.get().body());
  result_.complete = true;
  finish();
}

void HttpProbe::fail(const boost::system::error_code& ec, const char* stage) {
  if (cancelled_) {
    result_.error = "cancelled";
  } else if (timed_out_) {
    result_.error = std::string(stage) + " timeout";
  } else {
    result_.error = std::string(stage) + ": " + ec.message();
  }
  finish();
}

void HttpProbe::cancel() {
  if (finished_) return;
  cancelled_ = true;
  resolver_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  // Pending handlers still run (with operation_aborted) but find the probe finished.
  result_.error = "cancelled";
  finish();
}

void HttpProbe::finish() {
  if (finished_) return;
  finished_ = true;
  auto self = shared_from_this();  // `done` may drop the caller's last reference
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  Done done = std::move(done_);
  if (done) done(result_);
}

}  // namespace kb::proxy::health
