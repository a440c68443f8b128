#include "proxy/net/http1_rules.h"

#include <algorithm>
#include <boost/beast/http/fields.hpp>
#include <cstring>
#include <iterator>

#include "proxy/net/arena.h"
#include "proxy/net/hop_by_hop.h"

namespace kb::proxy::net::http1 {

namespace http = boost::beast::http;

namespace {

constexpr Verdict kOk{};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// unreserved / sub-delims / pct-encoded (RFC 3986 reg-name), without the ':' of a port.
bool is_reg_name_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '%': case '!': case '$': case '&': case '\'':
    case '(': case ')': case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The transfer codings of every Transfer-Encoding field line, in order (RFC 9112 6.1): only a
// single, final `chunked` can be relayed. `chunked` with parameters is not `chunked`.
struct Codings {
  bool present = false;
  std::size_t count = 0;
  std::size_t chunked = 0;
  bool last_chunked = false;
};

template <class Fields>
Codings transfer_codings(const Fields& fields) {
  Codings c;
  for (const auto& f : fields) {
    if (f.name() != http::field::transfer_encoding) continue;
    c.present = true;
    std::string_view rest = f.value();
    for (;;) {
      const auto comma = rest.find(',');
      const std::string_view item = trim_ows(rest.substr(0, comma));
      if (!item.empty()) {  // the list rule allows empty elements
        ++c.count;
        c.last_chunked = iequals(item, "chunked");
        if (c.last_chunked) ++c.chunked;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return c;
}

// 0 when the codings can be relayed; else the request's answer.
Verdict judge_codings(const Codings& c) {
  if (c.count == 0) return {400, "empty Transfer-Encoding"};
  if (!c.last_chunked) return {400, "chunked is not the final transfer coding"};
  if (c.chunked > 1) return {400, "chunked applied more than once"};
  if (c.count > 1) return {501, "transfer coding not implemented"};
  return kOk;
}

}  // namespace

HeadScanner::State HeadScanner::fail(unsigned status, std::string_view reason) {
  verdict_ = {status, reason};
  state_ = State::kError;
  return state_;
}

void HeadScanner::end_field_line(std::string_view line, std::size_t start, std::size_t end) {
  const std::string_view name = line.substr(0, line.find(':'));
  if (iequals(name, "transfer-encoding")) {
    te_seen_ = true;
  } else if (iequals(name, "content-length")) {
    length_lines_.emplace_back(start, end);
  }
}

std::size_t HeadScanner::strip_content_length(char* data) const {
  if (state_ != State::kDone || !te_with_content_length()) return 0;
  // Right to left: the segment before each removed line moves right by the length of every
  // removed line from there on, so nothing is overwritten before it moved.
  std::size_t removed = 0;
  for (auto it = length_lines_.rbegin(); it != length_lines_.rend(); ++it) {
    removed += it->second - it->first;
    const std::size_t seg_begin = std::next(it) == length_lines_.rend() ? 0 : std::next(it)->second;
    std::memmove(data + seg_begin + removed, data + seg_begin, it->first - seg_begin);
  }
  return removed;
}

HeadScanner::State HeadScanner::feed(std::string_view bytes) {
  if (state_ != State::kMore) return state_;
  const char* const data = bytes.data();
  while (pos_ < bytes.size()) {
    // Bytes above CR (never CR, LF or NUL) inside a line decide nothing: skip them in a tight loop
    // up to the next byte that does, or to a limit (about 4 instructions a byte instead of 15).
    // The first byte of a field line is not skipped: it may be an obs-fold.
    std::size_t stop = std::min(bytes.size(), limits_.max_head_bytes);
    if (request_line_ && limits_.max_request_line < stop) stop = limits_.max_request_line;  // line_start_ is 0
    if (request_line_ || pos_ != line_start_) {
      while (pos_ < stop && static_cast<unsigned char>(data[pos_]) > '\r') ++pos_;
      if (pos_ == bytes.size()) break;
    }
    // The byte at pos_, judged as every byte was before the skip (the order of the checks is the
    // order of the verdicts).
    if (pos_ >= limits_.max_head_bytes) return fail(431, "request header too large");
    const char c = data[pos_];
    if (c == '\r') {
      if (pos_ + 1 == bytes.size()) return State::kMore;  // the LF may follow
      if (data[pos_ + 1] != '\n') return fail(400, "bare CR in request head");
      const bool empty = pos_ == line_start_;
      const std::size_t start = line_start_;
      pos_ += 2;
      line_start_ = pos_;
      if (request_line_) {
        request_line_ = false;  // an empty request line is Beast's bad method (400)
      } else if (empty) {
        state_ = State::kDone;
        return state_;
      } else if (++fields_ > limits_.max_header_count) {
        return fail(431, "too many header fields");
      } else {
        end_field_line(bytes.substr(start, pos_ - 2 - start), start, pos_);
      }
      continue;
    }
    if (c == '\n') return fail(400, "bare LF in request head");
    if (c == '\0') return fail(400, "NUL in request head");
    if (request_line_) {
      if (pos_ - line_start_ >= limits_.max_request_line) return fail(414, "request line too long");
    } else if (pos_ == line_start_ && (c == ' ' || c == '\t')) {
      // obs-fold (RFC 9112 5.2): Beast would join the lines; an intermediary that does not
      // understand the fold the same way as the member is a smuggling vector.
      return fail(400, "obs-fold in request head");
    }
    ++pos_;
  }
  return State::kMore;
}

bool valid_authority(std::string_view a) {
  std::size_t i = 0;
  if (!a.empty() && a.front() == '[') {
    const auto close = a.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (i = 1; i < close; ++i) {
      if (!is_reg_name_char(a[i]) && a[i] != ':') return false;
    }
    i = close + 1;
  } else {
    while (i < a.size() && is_reg_name_char(a[i])) ++i;
    if (i == 0) return false;
  }
  if (i == a.size()) return true;
  if (a[i] != ':') return false;
  for (++i; i < a.size(); ++i) {
    if (!is_digit(a[i])) return false;
  }
  return true;
}

template <class Fields>
RequestVerdict check_request_head(const http::header<true, Fields>& head) {
  RequestVerdict v;
  auto refuse = [&v](unsigned status, std::string_view reason) {
    v.status = status;
    v.reason = reason;
    return v;
  };
  if (head.method_string().size() > kMaxMethodLength) return refuse(501, "method not implemented");

  // Framing (RFC 9112 6.1, 6.3).
  std::size_t lengths = 0;
  std::size_t hosts = 0;
  std::string_view host_field;
  for (const auto& f : head) {
    if (f.name() == http::field::content_length) {
      if (++lengths > 1) return refuse(400, "duplicate Content-Length");
      if (!all_digits(f.value())) return refuse(400, "invalid Content-Length");
    } else if (f.name() == http::field::host) {
      ++hosts;
      host_field = f.value();
    }
  }
  const Codings codings = transfer_codings(head);
  if (codings.present) {
    if (head.version() < 11) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
    // HeadScanner::strip_content_length() removed it; Beast refuses the pair otherwise.
    if (lengths > 0) return refuse(400, "Transfer-Encoding with Content-Length");
    const Verdict c = judge_codings(codings);
    if (!c.ok()) return refuse(c.status, c.reason);
    v.chunked = true;
  }

  // Host (RFC 9112 3.2): exactly one on 1.1, and a valid one even when absolute-form replaces it.
  if (hosts > 1) return refuse(400, "multiple Host headers");
  if (head.version() >= 11 && host_field.empty()) return refuse(400, "missing Host header");
  if (!host_field.empty() && !valid_authority(host_field)) return refuse(400, "invalid Host header");
  v.host = host_field;

  // Target (RFC 9112 3.2): origin-form, absolute-form (http/https), asterisk-form for OPTIONS.
  // CONNECT's authority-form is left to the caller (which refuses CONNECT).
  const std::string_view target = head.target();
  if (head.method() == http::verb::connect) {
    v.target = target;
    return v;
  }
  if (!target.empty() && target.front() == '/') {
    v.target = target;
    return v;
  }
  if (target == "*") {
    if (head.method() != http::verb::options) return refuse(400, "malformed request target");
    v.target = target;
    return v;
  }
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() <= scheme.size() || !iequals(target.substr(0, scheme.size()), scheme)) continue;
    const std::string_view rest = target.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos) return refuse(400, "userinfo in request target");
    if (!valid_authority(authority)) return refuse(400, "malformed request target");
    v.host = authority;  // the authority wins over Host (RFC 9112 3.2.2)
    v.target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    return v;
  }
  return refuse(400, "malformed request target");
}

template <class Fields>
Verdict check_response_head(const http::header<false, Fields>& head) {
  // Content-Length: Beast refuses differing values and TE with CL; identical duplicates are one
  // length, and the proxy writes its own framing toward the client.
  const Codings codings = transfer_codings(head);
  if (!codings.present) return kOk;
  if (head.version() < 11) return {502, "member sent Transfer-Encoding in HTTP/1.0"};
  // A response whose final coding is not chunked would be close-delimited (RFC 9112 6.3) and
  // still carry codings the proxy drops with the hop-by-hop Transfer-Encoding: refuse it.
  if (!judge_codings(codings).ok()) return {502, "member sent an invalid Transfer-Encoding"};
  return kOk;
}

template RequestVerdict check_request_head(const http::header<true, http::fields>&);
template RequestVerdict check_request_head(const http::header<true, ArenaFields>&);
template Verdict check_response_head(const http::header<false, http::fields>&);
template Verdict check_response_head(const http::header<false, ArenaFields>&);

}  // namespace kb::proxy::net::http1
