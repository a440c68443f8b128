// The cpprestsdk implementation of KubeApi: the only file of the controller that talks HTTP to the
// API server (json_codec.cc is the only other user of cpprestsdk, for its JSON type).
#include <cpprest/http_client.h>
#include <cpprest/json.h>
#include <cpprest/rawptrstream.h>
#include <cpprest/uri_builder.h>

#include <atomic>
#include <boost/asio/ssl.hpp>

#include "controller/kube/json_codec.h"
#include "controller/kube/kube_api.h"
#include "controller/kube/kube_config.h"

namespace kb::controller::kube {
namespace http = web::http;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(30);

// Status {code, reason, message} out of an error body, or the raw text when it is not one.
ApiError make_error(int status, const std::string& body, const http::http_headers& headers) {
  std::optional<std::chrono::seconds> retry_after;
  auto it = headers.find(U("Retry-After"));
  if (it != headers.end()) {
    try {
      retry_after = std::chrono::seconds(std::stol(it->second));
    } catch (const std::exception&) {
      // An HTTP-date Retry-After: the caller's own backoff applies.
    }
  }
  std::string reason;
  std::string message = body;
  try {
    const auto value = web::json::value::parse(body);
    if (value.is_object()) {
      if (value.has_string_field(U("reason"))) reason = value.at(U("reason")).as_string();
      if (value.has_string_field(U("message"))) message = value.at(U("message")).as_string();
    }
  } catch (const std::exception&) {
  }
  if (message.size() > 512) message.resize(512);
  return ApiError(status, reason, "HTTP " + std::to_string(status) + ": " + message, retry_after);
}

class RestWatchStream : public WatchStream {
 public:
  RestWatchStream(http::http_response response, pplx::cancellation_token_source cancel)
      : response_(std::move(response)), body_(response_.body()), cancel_(std::move(cancel)) {}
  ~RestWatchStream() override { cancel(); }

  bool next(WatchEvent& event) override {
    for (;;) {
      if (cancelled_) return false;
      concurrency::streams::container_buffer<std::string> line;
      size_t n = 0;
      try {
        n = body_.read_line(line).get();
      } catch (const std::exception& e) {
        if (cancelled_) return false;
        throw ApiError(0, "", std::string("watch stream: ") + e.what());
      }
      std::string text = std::move(line.collection());
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
      if (text.empty()) {
        if (n == 0 && body_.is_eof()) return false;  // the server ended the watch cleanly
        continue;                                    // keep-alive blank line
      }
      event = decode_watch_event(text);
      return true;
    }
  }

  void cancel() override {
    if (!cancelled_.exchange(true)) cancel_.cancel();
  }

 private:
  http::http_response response_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;
  std::atomic<bool> cancelled_{false};
};

class RestKubeApi : public KubeApi {
 public:
  explicit RestKubeApi(const ClusterConfig& config) : config_(config), tokens_(config) {
    client_ = std::make_unique<http::client::http_client>(U(config.server), client_config(kRequestTimeout));
  }

  RawObject get(const Resource& r, const std::string& ns, const std::string& name) override {
    return decode_raw_object(send(http::methods::GET, r.path(ns, name), "", ""));
  }

  ListPage list(const Resource& r, const std::string& ns, const ListOptions& o) override {
    web::uri_builder uri(U(r.path(ns)));
    if (o.limit > 0) uri.append_query(U("limit"), o.limit);
    if (!o.continue_token.empty()) uri.append_query(U("continue"), U(o.continue_token));
    if (!o.resource_version.empty()) uri.append_query(U("resourceVersion"), U(o.resource_version));
    if (!o.label_selector.empty()) uri.append_query(U("labelSelector"), U(o.label_selector));
    if (!o.field_selector.empty()) uri.append_query(U("fieldSelector"), U(o.field_selector));
    return decode_raw_list(send(http::methods::GET, uri.to_string(), "", ""));
  }

  std::unique_ptr<WatchStream> watch(const Resource& r, const std::string& ns,
                                     const WatchOptions& o) override {
    web::uri_builder uri(U(r.path(ns)));
    uri.append_query(U("watch"), U("true"));
    if (!o.resource_version.empty()) uri.append_query(U("resourceVersion"), U(o.resource_version));
    if (o.allow_bookmarks) uri.append_query(U("allowWatchBookmarks"), U("true"));
    if (o.timeout_seconds > 0) uri.append_query(U("timeoutSeconds"), o.timeout_seconds);
    if (!o.label_selector.empty()) uri.append_query(U("labelSelector"), U(o.label_selector));
    if (!o.field_selector.empty()) uri.append_query(U("fieldSelector"), U(o.field_selector));
    // cpprestsdk's timeout is per send/receive, so it bounds silence, not the watch: a server that
    // went away without closing is noticed after timeoutSeconds plus a margin.
    http::client::http_client client(
        U(config_.server), client_config(std::chrono::seconds(std::max(o.timeout_seconds, 30) + 30)));
    http::http_request request(http::methods::GET);
    request.set_request_uri(uri.to_string());
    authorize(request);
    pplx::cancellation_token_source cancel;
    http::http_response response;
    try {
      response = client.request(request, cancel.get_token()).get();
    } catch (const std::exception& e) {
      throw ApiError(0, "", std::string("watch ") + r.to_string() + ": " + e.what());
    }
    const int status = response.status_code();
    if (status < 200 || status > 299) {
      std::string body;
      try {
        body = response.extract_utf8string(true).get();
      } catch (const std::exception&) {
      }
      throw make_error(status, body, response.headers());
    }
    return std::make_unique<RestWatchStream>(std::move(response), std::move(cancel));
  }

  RawObject create(const Resource& r, const std::string& ns, const std::string& json) override {
    return decode_raw_object(send(http::methods::POST, r.path(ns), json, "application/json"));
  }
  RawObject update(const Resource& r, const std::string& ns, const std::string& name,
                const std::string& json) override {
    return decode_raw_object(send(http::methods::PUT, r.path(ns, name), json, "application/json"));
  }
  RawObject merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                     const std::string& json) override {
    return decode_raw_object(
        send(http::methods::PATCH, r.path(ns, name), json, "application/merge-patch+json"));
  }
  RawObject patch_status(const Resource& r, const std::string& ns, const std::string& name,
                      const std::string& json) override {
    return decode_raw_object(
        send(http::methods::PATCH, r.path(ns, name, "status"), json, "application/merge-patch+json"));
  }
  void remove(const Resource& r, const std::string& ns, const std::string& name) override {
    send(http::methods::DEL, r.path(ns, name), "", "");
  }

 private:
  http::client::http_client_config client_config(std::chrono::seconds timeout) const {
    http::client::http_client_config c;
    c.set_timeout(timeout);
    c.set_validate_certificates(!config_.insecure_skip_tls_verify);
    const std::string ca = config_.ca_pem;
    const std::string cert = config_.client_cert_pem;
    const std::string key = config_.client_key_pem;
    c.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      // Trust exactly the cluster's CA when one is configured, as client-go does.
      if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
        ctx.use_private_key(boost::asio::buffer(key.data(), key.size()), boost::asio::ssl::context::pem);
      }
    });
    return c;
  }

  void authorize(http::http_request& request) {
    request.headers().add(U("Accept"), U("application/json"));
    request.headers().add(U("User-Agent"), U("kube-balancer-controller"));
    const std::string token = tokens_.token();
    if (!token.empty()) request.headers().add(U("Authorization"), U("Bearer " + token));
  }

  std::string send(const http::method& method, const std::string& path, const std::string& body,
                   const std::string& content_type) {
    http::http_request request(method);
    request.set_request_uri(U(path));
    authorize(request);
    if (!content_type.empty()) request.set_body(body, content_type);
    http::http_response response;
    std::string text;
    try {
      response = client_->request(request).get();
      text = response.extract_utf8string(true).get();
    } catch (const std::exception& e) {
      throw ApiError(0, "", method + " " + path + ": " + e.what());
    }
    const int status = response.status_code();
    if (status < 200 || status > 299) throw make_error(status, text, response.headers());
    return text;
  }

  ClusterConfig config_;
  TokenSource tokens_;
  std::unique_ptr<http::client::http_client> client_;
};

}  // namespace

std::unique_ptr<KubeApi> make_rest_kube_api(const ClusterConfig& config) {
  return std::make_unique<RestKubeApi>(config);
}

}  // namespace kb::controller::kube
