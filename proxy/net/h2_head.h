#pragma once
// Heads between HTTP/2 and the HTTP/1.1 bytes an HTTP/2 stream shows its Exchange
// (h2_stream_io.h). Pure, no nghttp2 here.
//  * Request: the fields of a HEADERS frame (nghttp2 has already checked them: lower-case names,
//    no connection-specific fields, valid pseudo-headers) become "METHOD :path HTTP/1.1" with
//    Host = :authority (RFC 9113 8.3.1), the cookie fields joined with "; " (8.2.3), and, for a
//    request with a body but no content-length, Transfer-Encoding: chunked (the stream then frames
//    the DATA payload as chunks). The HTTP/1.1 codec then checks it like any other request head.
//  * Response: the head the exchange wrote (head_writer.h) parsed back into a status and fields
//    with lower-case names, the connection-specific ones dropped (RFC 9113 8.2.2).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::proxy::net {

class H2RequestHead {
 public:
  void add(std::string_view name, std::string_view value);
  std::size_t size() const { return size_; }  // name and value bytes so far (header list size)
  // Appends the HTTP/1.1 head to `out`; returns whether the body must be framed as chunks.
  bool write(bool has_body, std::string& out) const;

 private:
  std::string method_;
  std::string path_;
  std::string authority_;
  std::string host_;    // a host field, used when there is no :authority
  std::string fields_;  // "name: value\r\n" lines
  std::string cookie_;
  std::size_t size_ = 0;
  bool has_length_ = false;
};

struct H2ResponseHead {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // lower-case names
};

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" (complete, CRLF CRLF included).
bool parse_response_head(std::string_view head, H2ResponseHead& out);

}  // namespace kb::proxy::net
