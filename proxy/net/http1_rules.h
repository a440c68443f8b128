#pragma once
// RFC 9112 strictness for the HTTP/1.1 data plane, independent of the connection code: what
// Boost.Beast 1.74's parser accepts but an internet-facing proxy must refuse (docs/reliability.md
// lists every vector, what Beast already rejects, and what nginx and HAProxy answer).
//
// Two steps per request:
// * HeadScanner runs on the raw bytes of a request head BEFORE Beast parses it: bare CR, bare LF,
//   obs-fold (a field line starting with SP/HTAB), NUL, the request-line limit (414), the
//   header-count and head-size limits (431); and it removes Content-Length when
//   Transfer-Encoding is present (Beast would refuse the pair; RFC 9112 6.1 lets TE win). Beast joins obs-fold lines silently and waits forever on a lone LF
//   ending the head; it has no request-line or field-count limit.
// * check_request_head() runs once Beast has parsed the head: Transfer-Encoding (only `chunked`,
//   exactly once, last; else 400, other codings 501; never with HTTP/1.0),
//   Content-Length (one field, one value: identical duplicates are refused too, as nginx does),
//   Host (exactly one on 1.1, valid characters), the request target (origin-form, absolute-form
//   with http/https whose authority replaces Host, `*` for OPTIONS), the method's length (501).
// check_response_head() holds a member's response to the framing rules before anything of it
// reaches the client (502, and the member connection is not reused).
// Every refusal closes the client connection after the answer: after a framing error the
// position of the next request in the byte stream is unknown.
#include <boost/beast/http/message.hpp>
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <string_view>
#include <utility>

namespace kb::proxy::net::http1 {

struct Limits {
  std::size_t max_request_line = 8192;  // bytes of the request line without CRLF; 414 past it
  std::size_t max_header_count = 100;   // field lines of a request head; 431 past it
  std::size_t max_head_bytes = 64 * 1024;  // the whole head; 431 past it (Beast waits for it whole)
};

// Upper bound of a method token: longer than any method a member could implement (RFC 9112 3:
// SHOULD answer 501).
inline constexpr std::size_t kMaxMethodLength = 32;

// A refusal: status 0 = accepted. `reason` is a static string (the body of the local answer).
struct Verdict {
  unsigned status = 0;
  std::string_view reason;
  bool ok() const { return status == 0; }
};

class HeadScanner {
 public:
  enum class State { kMore, kDone, kError };

  explicit HeadScanner(Limits limits) : limits_(limits) {}

  // `bytes`: everything received since the head began; a later call passes the same bytes plus
  // more (the scan resumes where it stopped). kDone: the head ends at head_size().
  State feed(std::string_view bytes);
  State state() const { return state_; }
  const Verdict& verdict() const { return verdict_; }
  std::size_t head_size() const { return pos_; }

  // Transfer-Encoding and Content-Length together (RFC 9112 6.1): Transfer-Encoding wins, the
  // Content-Length lines go, and the connection closes after the response.
  bool te_with_content_length() const { return te_seen_ && !length_lines_.empty(); }
  // Removes the Content-Length lines from the complete head at `data` (the bytes fed) by moving
  // what precedes each line toward the end; returns how many bytes to drop from the front. The
  // bytes after the head do not move. 0 when there is nothing to remove.
  std::size_t strip_content_length(char* data) const;

 private:
  State fail(unsigned status, std::string_view reason);
  void end_field_line(std::string_view line, std::size_t start, std::size_t end);

  Limits limits_;
  Verdict verdict_;
  std::size_t pos_ = 0;         // next byte to scan
  std::size_t line_start_ = 0;  // first byte of the current line
  std::size_t fields_ = 0;      // field lines seen
  bool request_line_ = true;    // still in the request line
  bool te_seen_ = false;
  boost::container::small_vector<std::pair<std::size_t, std::size_t>, 2> length_lines_;  // [begin, end)
  State state_ = State::kMore;
};

// What the request means once accepted: routing host and origin-form target (views into the
// message), and whether a body follows in chunked framing.
struct RequestVerdict : Verdict {
  std::string_view host;    // the absolute-form authority, else the Host field ("" on 1.0)
  std::string_view target;  // origin-form ("/path?q") or "*"
  bool chunked = false;
};

// Fields: boost::beast::http::fields or ArenaFields (instantiated in http1_rules.cc).
template <class Fields>
RequestVerdict check_request_head(const boost::beast::http::header<true, Fields>& head);

template <class Fields>
Verdict check_response_head(const boost::beast::http::header<false, Fields>& head);

// Validity of a Host value / an authority: reg-name, IPv4 or [IP-literal], optional :port digits.
bool valid_authority(std::string_view authority);

}  // namespace kb::proxy::net::http1
