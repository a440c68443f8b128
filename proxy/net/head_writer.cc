#include "proxy/net/head_writer.h"

#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>

#include "proxy/net/arena.h"
#include "proxy/net/hop_by_hop.h"

namespace kb::proxy::net {

namespace http = boost::beast::http;

namespace {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_framing(std::string& out, Framing framing, uint64_t content_length) {
  if (framing == Framing::kLength) {
    out.append("Content-Length: ");
    append_uint(out, content_length);
    out.append("\r\n");
  } else if (framing == Framing::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
}

}  // namespace

template <class Fields>
void write_request_head(const RequestHead& head, const Fields& in, std::string& out) {
  out.append(head.method);
  out.push_back(' ');
  if (!head.base_path.empty() && !head.target.empty() && head.target.front() == '/') {
    std::string_view base = head.base_path;
    if (base.back() == '/') base.remove_suffix(1);
    out.append(base);
  }
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", head.host);

  const HopByHop hop(in);
  boost::container::small_vector<std::string_view, 2> xff;
  std::string_view upgrade_value;
  for (const auto& f : in) {
    const http::field name = f.name();
    if (name == http::field::upgrade) upgrade_value = f.value();
    if (hop.is_hop_by_hop(name, f.name_string())) continue;
    switch (name) {
      case http::field::host:
      case http::field::content_length:
        continue;
      case http::field::expect:
        if (head.drop_expect) continue;
        break;
      case http::field::unknown: {
        // Beast has no enum for the X-Forwarded-* family.
        const std::string_view n = f.name_string();
        if (iequals(n, "x-forwarded-for")) {
          if (head.keep_forwarded_for) xff.push_back(f.value());
          continue;
        }
        if (iequals(n, "x-forwarded-proto") || iequals(n, "x-forwarded-host")) continue;
        break;
      }
      default:
        break;
    }
    append_field(out, f.name_string(), f.value());
  }
  out.append("X-Forwarded-For: ");
  for (std::string_view v : xff) {
    out.append(v);
    out.append(", ");
  }
  out.append(head.client_ip);
  out.append("\r\n");
  append_field(out, "X-Forwarded-Proto", head.proto);
  if (!head.forwarded_host.empty()) append_field(out, "X-Forwarded-Host", head.forwarded_host);
  if (head.upgrade && !upgrade_value.empty()) {
    append_field(out, "Upgrade", upgrade_value);
    out.append("Connection: Upgrade\r\n");
  }
  append_framing(out, head.framing, head.content_length);
  out.append("\r\n");
}

template <class Fields>
void write_response_head(const ResponseHead& head, const Fields& in, std::string& out) {
  out.append("HTTP/1.1 ");
  append_uint(out, head.status);
  out.push_back(' ');
  if (head.reason.empty()) {
    out.append(http::obsolete_reason(static_cast<http::status>(head.status)));
  } else {
    out.append(head.reason);
  }
  out.append("\r\n");

  const HopByHop hop(in);
  std::string_view upgrade_value;
  for (const auto& f : in) {
    const http::field name = f.name();
    if (name == http::field::upgrade) upgrade_value = f.value();
    if (hop.is_hop_by_hop(name, f.name_string())) continue;
    if (name == http::field::content_length) {
      if (head.keep_content_length) append_field(out, f.name_string(), f.value());
      continue;
    }
    if (!head.hsts.empty() && name == http::field::strict_transport_security) continue;
    if (head.rewrite != nullptr && is_reverse_rewritten(name, f.name_string())) {
      out.append(f.name_string());
      out.append(": ");
      if (!reverse_rewrite(f.value(), *head.rewrite, out)) out.append(f.value());
      out.append("\r\n");
      continue;
    }
    append_field(out, f.name_string(), f.value());
  }
  if (!head.set_cookie.empty()) append_field(out, "Set-Cookie", head.set_cookie);
  if (!head.hsts.empty()) append_field(out, "Strict-Transport-Security", head.hsts);
  if (head.upgrade) {
    if (!upgrade_value.empty()) append_field(out, "Upgrade", upgrade_value);
    out.append("Connection: Upgrade\r\n");
  } else if (!head.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (head.client_http10) {
    out.append("Connection: keep-alive\r\n");
  }
  append_framing(out, head.framing, head.content_length);
  out.append("\r\n");
}

template void write_request_head(const RequestHead&, const http::fields&, std::string&);
template void write_request_head(const RequestHead&, const ArenaFields&, std::string&);
template void write_response_head(const ResponseHead&, const http::fields&, std::string&);
template void write_response_head(const ResponseHead&, const ArenaFields&, std::string&);

void write_simple_response(unsigned status, std::string_view text, bool keep_alive, std::string& out,
                           std::string_view hsts) {
  out.append("HTTP/1.1 ");
  append_uint(out, status);
  out.push_back(' ');
  out.append(http::obsolete_reason(static_cast<http::status>(status)));
  out.append("\r\n");
  if (!hsts.empty()) append_field(out, "Strict-Transport-Security", hsts);
  out.append("Content-Type: text/plain\r\nContent-Length: ");
  append_uint(out, text.size() + 1);
  out.append(keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  out.append(text);
  out.push_back('\n');
}

void write_redirect_response(unsigned status, std::string_view location, bool keep_alive, std::string& out,
                             std::string_view hsts) {
  out.append("HTTP/1.1 ");
  append_uint(out, status);
  out.push_back(' ');
  out.append(http::obsolete_reason(static_cast<http::status>(status)));
  out.append("\r\n");
  append_field(out, "Location", location);
  if (!hsts.empty()) append_field(out, "Strict-Transport-Security", hsts);
  out.append(keep_alive ? "Content-Length: 0\r\n\r\n" : "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

std::size_t write_chunk_prefix(std::size_t n, char (&buf)[24]) {
  auto [end, ec] = std::to_chars(buf, buf + 20, n, 16);
  (void)ec;
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<std::size_t>(end + 2 - buf);
}

}  // namespace kb::proxy::net
