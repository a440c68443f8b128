#include "proxy/net/h2_head.h"

#include <charconv>

#include "proxy/net/hop_by_hop.h"

namespace kb::proxy::net {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 9113 8.2.2: connection-specific fields never appear in HTTP/2.
bool connection_specific(std::string_view name) {
  for (std::string_view n :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}) {
    if (iequals(name, n)) return true;
  }
  return false;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

void H2RequestHead::add(std::string_view name, std::string_view value) {
  size_ += name.size() + value.size();
  if (name == ":method") {
    method_.assign(value);
  } else if (name == ":path") {
    path_.assign(value);
  } else if (name == ":authority") {
    authority_.assign(value);
  } else if (!name.empty() && name.front() == ':') {
    // :scheme is the connection's (TLS or not), as for HTTP/1.1; :protocol is never enabled.
  } else if (name == "host") {
    host_.assign(value);
  } else if (name == "cookie") {
    if (!cookie_.empty()) cookie_.append("; ");
    cookie_.append(value);
  } else {
    if (name == "content-length") has_length_ = true;
    fields_.append(name).append(": ").append(value).append(kCrlf);
  }
}

bool H2RequestHead::write(bool has_body, std::string& out) const {
  // CONNECT carries no :path (RFC 9113 8.5): its target is the authority, as in HTTP/1.1.
  out.append(method_)
      .append(" ")
      .append(path_.empty() ? authority_ : path_)
      .append(" HTTP/1.1\r\n");
  const std::string& host = authority_.empty() ? host_ : authority_;
  if (!host.empty()) out.append("host: ").append(host).append(kCrlf);
  out.append(fields_);
  if (!cookie_.empty()) out.append("cookie: ").append(cookie_).append(kCrlf);
  const bool chunked = has_body && !has_length_;
  if (chunked) out.append("transfer-encoding: chunked\r\n");
  out.append(kCrlf);
  return chunked;
}

bool parse_response_head(std::string_view head, H2ResponseHead& out) {
  std::size_t eol = head.find(kCrlf);
  if (eol == std::string_view::npos || eol < 12 || head.substr(0, 5) != "HTTP/") return false;
  const std::string_view status = head.substr(9, 3);
  unsigned value = 0;
  if (std::from_chars(status.data(), status.data() + 3, value).ec != std::errc() || value < 100)
    return false;
  out.status = value;
  out.fields.clear();
  for (std::size_t at = eol + 2; at < head.size();) {
    eol = head.find(kCrlf, at);
    if (eol == std::string_view::npos) return false;
    const std::string_view line = head.substr(at, eol - at);
    at = eol + 2;
    if (line.empty()) return true;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = line.substr(0, colon);
    if (connection_specific(name)) continue;
    std::string lower(name);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    out.fields.emplace_back(std::move(lower), std::string(trim(line.substr(colon + 1))));
  }
  return false;
}

}  // namespace kb::proxy::net
