// Every request-smuggling vector of docs/reliability.md through the same pipeline as the proxy:
// HeadScanner on the raw bytes, then Beast's parser, then check_request_head.
#include "proxy/net/http1_rules.h"

#include <gtest/gtest.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <ostream>
#include <string>

namespace kb::proxy::net::http1 {
namespace {

namespace http = boost::beast::http;

struct Outcome {
  unsigned status = 0;  // 0 = accepted
  std::string who;      // "scanner", "beast", "rules", "body" or "" when accepted
  std::string body;     // the decoded body when accepted
};

// The proxy's request path: scanner gates Beast, rules judge the parsed head, Beast decodes the
// body (its errors are 400 there).
Outcome judge(const std::string& raw, Limits limits = {}) {
  HeadScanner scan(limits);
  const auto st = scan.feed(raw);
  if (st == HeadScanner::State::kError) return {scan.verdict().status, "scanner", {}};
  if (st == HeadScanner::State::kMore) return {0, "incomplete", {}};
  std::string bytes = raw;  // as the proxy's read buffer
  std::size_t used = scan.strip_content_length(bytes.data());
  http::request_parser<http::string_body> p;
  p.eager(true);
  boost::beast::error_code ec;
  used += p.put(boost::asio::buffer(bytes.data() + used, scan.head_size() - used), ec);
  if (ec || !p.is_header_done()) return {400, "beast", {}};
  const RequestVerdict v = check_request_head(p.get().base());
  if (!v.ok()) return {v.status, "rules", {}};
  EXPECT_EQ(v.chunked, p.chunked());
  while (!p.is_done() && used < bytes.size()) {
    const std::size_t n = p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec && ec != http::error::need_more) return {400, "body", {}};
    if (n == 0) break;
    used += n;
  }
  if (!p.is_done()) return {0, "body incomplete", p.get().body()};
  return {0, "", p.get().body()};
}

const std::string kPost = "POST / HTTP/1.1\r\nHost: a\r\n";
const std::string kChunked = kPost + "Transfer-Encoding: chunked\r\n\r\n";

struct Vector {
  const char* name;
  std::string raw;
  unsigned status;
  const char* who;
};

void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }  // not the bytes of the struct

class Vectors : public ::testing::TestWithParam<Vector> {};

TEST_P(Vectors, AnsweredAsDocumented) {
  const Vector& v = GetParam();
  const Outcome o = judge(v.raw);
  EXPECT_EQ(o.status, v.status) << v.name;
  EXPECT_EQ(o.who, v.who) << v.name;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, Vectors,
    ::testing::Values(
        Vector{"te_chunked_identity", kPost + "Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "rules"},
        Vector{"te_identity", kPost + "Transfer-Encoding: identity\r\n\r\n", 400, "rules"},
        Vector{"te_gzip", kPost + "Transfer-Encoding: gzip\r\n\r\n", 400, "rules"},
        Vector{"te_xchunked", kPost + "Transfer-Encoding: xchunked\r\n\r\n", 400, "rules"},
        Vector{"te_empty", kPost + "Transfer-Encoding: \r\n\r\n", 400, "rules"},
        Vector{"te_chunked_twice", kPost + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, "rules"},
        Vector{"te_chunked_param", kPost + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400, "rules"},
        Vector{"te_gzip_chunked", kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "rules"},
        Vector{"te_two_lines_gzip_then_chunked", kPost + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "rules"},
        Vector{"te_two_lines_chunked_then_gzip", kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "beast"},
        Vector{"te_chunked_uppercase", kPost + "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", 0, ""},
        Vector{"te_then_cl", kPost + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 0, ""},
        Vector{"cl_then_te", kPost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, ""},
        Vector{"te_not_last_with_cl", kPost + "Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n\r\nhello", 400, "rules"},
        Vector{"http10_te_with_cl", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400, "rules"},
        Vector{"cl_duplicate_identical", kPost + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400, "rules"},
        Vector{"cl_list_identical", kPost + "Content-Length: 5, 5\r\n\r\nhello", 400, "rules"},
        Vector{"cl_duplicate_different", kPost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "beast"},
        Vector{"cl_plus", kPost + "Content-Length: +5\r\n\r\nhello", 400, "beast"},
        Vector{"cl_negative", kPost + "Content-Length: -1\r\n\r\n", 400, "beast"},
        Vector{"cl_hex", kPost + "Content-Length: 0x5\r\n\r\nhello", 400, "beast"},
        Vector{"cl_empty", kPost + "Content-Length: \r\n\r\n", 400, "beast"},
        Vector{"cl_overflow", kPost + "Content-Length: 99999999999999999999999\r\n\r\n", 400, "beast"},
        Vector{"cl_leading_zero", kPost + "Content-Length: 05\r\n\r\nhello", 0, ""},
        Vector{"chunk_size_not_hex", kChunked + "zz\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_0x", kChunked + "0x5\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_plus", kChunked + "+5\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_leading_space", kChunked + " 5\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_trailing_space", kChunked + "5 \r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_overflow", kChunked + "10000000000000005\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_data_longer_than_size", kChunked + "3\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_ext_valid", kChunked + "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n", 0, ""},
        Vector{"chunk_ext_ctl", kChunked + "5;a=b\x01\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_ext_no_name", kChunked + "5;\r\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_bare_lf", kChunked + "5\nhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_data_bare_lf", kChunked + "5\r\nhello\n0\r\n\r\n", 400, "body"},
        Vector{"chunk_size_bare_cr", kChunked + "5\rhello\r\n0\r\n\r\n", 400, "body"},
        Vector{"obs_fold", kPost + "X-A: one\r\n two\r\n\r\n", 400, "scanner"},
        Vector{"obs_fold_tab", kPost + "X-A: one\r\n\ttwo\r\n\r\n", 400, "scanner"},
        Vector{"obs_fold_transfer_encoding", kPost + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400, "scanner"},
        Vector{"bare_cr_in_value", kPost + "X-A: a\rb\r\n\r\n", 400, "scanner"},
        Vector{"bare_cr_request_line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, "scanner"},
        Vector{"bare_lf_field_line", kPost + "X-A: a\nX-B: b\r\n\r\n", 400, "scanner"},
        Vector{"bare_lf_everywhere", "GET / HTTP/1.1\nHost: a\n\n", 400, "scanner"},
        Vector{"bare_lf_end_of_head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "scanner"},
        Vector{"space_before_colon", kPost + "X-A : b\r\n\r\n", 400, "beast"},
        Vector{"space_before_colon_te", kPost + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, "beast"},
        Vector{"tab_before_colon", kPost + "X-A\t: b\r\n\r\n", 400, "beast"},
        Vector{"nul_in_name", kPost + std::string("X-\0A: b\r\n\r\n", 11), 400, "scanner"},
        Vector{"nul_in_value", kPost + std::string("X-A: b\0c\r\n\r\n", 12), 400, "scanner"},
        Vector{"ctl_in_value", kPost + "X-A: b\x01" "c\r\n\r\n", 400, "beast"},
        Vector{"del_in_value", kPost + "X-A: b\x7f" "c\r\n\r\n", 400, "beast"},
        Vector{"ctl_in_name", kPost + "X-\x01" "A: b\r\n\r\n", 400, "beast"},
        Vector{"obs_text_in_value", kPost + "X-A: b\x80" "c\r\n\r\n", 0, ""},
        Vector{"empty_field_name", kPost + ": b\r\n\r\n", 400, "beast"},
        Vector{"http10_te", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "rules"},
        Vector{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "rules"},
        Vector{"two_identical_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"no_host_11", "GET / HTTP/1.1\r\n\r\n", 400, "rules"},
        Vector{"no_host_10", "GET / HTTP/1.0\r\n\r\n", 0, ""},
        Vector{"host_with_space_inside", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "rules"},
        Vector{"host_with_slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "rules"},
        Vector{"host_with_userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "rules"},
        Vector{"host_bad_port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400, "rules"},
        Vector{"host_ipv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, ""},
        Vector{"absolute_form", "GET http://b.example/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
        Vector{"absolute_userinfo", "GET http://u:p@b/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"absolute_other_scheme", "GET ftp://b/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"absolute_empty_authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"asterisk_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"asterisk_options", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
        Vector{"authority_form_get", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "rules"},
        Vector{"method_33_chars", std::string(33, 'A') + " / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "rules"},
        Vector{"method_32_chars", std::string(32, 'A') + " / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
        Vector{"method_bad_char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "beast"},
        Vector{"target_ctl", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "beast"},
        Vector{"target_space", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "beast"},
        Vector{"version_2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400, "beast"},
        Vector{"http09", "GET /\r\n\r\n", 400, "beast"},
        Vector{"plain_chunked", kChunked + "5\r\nhello\r\n0\r\n\r\n", 0, ""}),
    [](const ::testing::TestParamInfo<Vector>& i) { return std::string(i.param.name); });

TEST(HeadScanner, RequestLineLimitIs414) {
  const std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(judge(line, Limits{100, 100, 65536}).status, 414u);
  EXPECT_EQ(judge(line, Limits{line.find('\r'), 100, 65536}).status, 0u);
  EXPECT_EQ(judge(line, Limits{line.find('\r') - 1, 100, 65536}).status, 414u);
}

TEST(HeadScanner, RequestLineLimitHitsBeforeTheLineEnds) {
  HeadScanner scan(Limits{10, 100, 65536});
  EXPECT_EQ(scan.feed("GET /aaaa"), HeadScanner::State::kMore);
  EXPECT_EQ(scan.feed("GET /aaaaaaaaaa"), HeadScanner::State::kError);
  EXPECT_EQ(scan.verdict().status, 414u);
}

TEST(HeadScanner, HeaderCountLimitIs431) {
  std::string raw = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 4; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
  raw += "\r\n";
  EXPECT_EQ(judge(raw, Limits{8192, 5, 65536}).status, 0u);
  EXPECT_EQ(judge(raw, Limits{8192, 4, 65536}).status, 431u);
}

TEST(HeadScanner, HeadSizeLimitIs431BeforeTheHeadEnds) {
  HeadScanner scan(Limits{8192, 100, 64});
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(64, 'v');
  EXPECT_EQ(scan.feed(head), HeadScanner::State::kError);
  EXPECT_EQ(scan.verdict().status, 431u);
}

TEST(HeadScanner, TransferEncodingWinsOverContentLength) {
  const std::string raw = "POST /p HTTP/1.1\r\ncontent-length: 3\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                          "Content-Length: 99\r\nX: y\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  HeadScanner scan(Limits{});
  ASSERT_EQ(scan.feed(raw), HeadScanner::State::kDone);
  EXPECT_TRUE(scan.te_with_content_length());
  std::string bytes = raw;
  const std::size_t drop = scan.strip_content_length(bytes.data());
  EXPECT_EQ(bytes.substr(drop), "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n"
                                "5\r\nhello\r\n0\r\n\r\n");
  const Outcome o = judge(raw);
  EXPECT_EQ(o.status, 0u);
  EXPECT_EQ(o.body, "hello");
}

TEST(HeadScanner, ContentLengthAloneIsKept) {
  const std::string raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  HeadScanner scan(Limits{});
  ASSERT_EQ(scan.feed(raw), HeadScanner::State::kDone);
  EXPECT_FALSE(scan.te_with_content_length());
  std::string bytes = raw;
  EXPECT_EQ(scan.strip_content_length(bytes.data()), 0u);
  EXPECT_EQ(bytes, raw);
}

TEST(HeadScanner, ResumesAcrossFeedsAndSplitCrlf) {
  const std::string raw = "GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
  HeadScanner scan(Limits{});
  for (std::size_t n = 1; n < raw.size() - 4; ++n) {
    ASSERT_EQ(scan.feed(std::string_view(raw).substr(0, n)), HeadScanner::State::kMore) << n;
  }
  EXPECT_EQ(scan.feed(raw), HeadScanner::State::kDone);
  EXPECT_EQ(scan.head_size(), raw.size() - 4);
  EXPECT_EQ(scan.feed(raw), HeadScanner::State::kDone);  // sticky
}

TEST(HeadScanner, BareCrSplitAcrossFeeds) {
  HeadScanner scan(Limits{});
  EXPECT_EQ(scan.feed("GET / HTTP/1.1\r"), HeadScanner::State::kMore);
  EXPECT_EQ(scan.feed("GET / HTTP/1.1\rX"), HeadScanner::State::kError);
  EXPECT_EQ(scan.verdict().status, 400u);
}

// The verdict's views point into the parser: the caller keeps it.
RequestVerdict verdict_of(const std::string& raw, http::request_parser<http::empty_body>& p) {
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(raw), ec);
  EXPECT_TRUE(p.is_header_done()) << ec.message();
  return check_request_head(p.get().base());
}

TEST(CheckRequestHead, AbsoluteFormAuthorityReplacesHost) {
  const std::string raw = "GET http://b.example:8080/x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  http::request_parser<http::empty_body> p1;
  const RequestVerdict v = verdict_of(raw, p1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.host, "b.example:8080");
  EXPECT_EQ(v.target, "/x?q=1");
  http::request_parser<http::empty_body> p2;
  const RequestVerdict bare = verdict_of("GET HTTPS://b HTTP/1.1\r\nHost: a\r\n\r\n", p2);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare.host, "b");
  EXPECT_EQ(bare.target, "/");
}

TEST(CheckRequestHead, OriginFormKeepsHost) {
  http::request_parser<http::empty_body> p;
  const RequestVerdict v = verdict_of("GET /p HTTP/1.1\r\nHost: a.example\r\n\r\n", p);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.host, "a.example");
  EXPECT_EQ(v.target, "/p");
  EXPECT_FALSE(v.chunked);
}

Verdict response_verdict(const std::string& raw, bool* beast_refused = nullptr) {
  http::response_parser<http::empty_body> p;
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(raw), ec);
  if (beast_refused != nullptr) *beast_refused = !p.is_header_done();
  if (!p.is_header_done()) return {502, "beast"};
  return check_response_head(p.get().base());
}

TEST(CheckResponseHead, FramingRules) {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  EXPECT_TRUE(response_verdict(ok + "Transfer-Encoding: chunked\r\n\r\n").ok());
  EXPECT_TRUE(response_verdict(ok + "Content-Length: 3\r\nContent-Length: 3\r\n\r\n").ok());
  EXPECT_TRUE(response_verdict(ok + "Content-Length: 3\r\n\r\n").ok());
  EXPECT_EQ(response_verdict(ok + "Transfer-Encoding: gzip\r\n\r\n").status, 502u);
  EXPECT_EQ(response_verdict(ok + "Transfer-Encoding: chunked, identity\r\n\r\n").status, 502u);
  EXPECT_EQ(response_verdict(ok + "Transfer-Encoding: gzip, chunked\r\n\r\n").status, 502u);
  EXPECT_EQ(response_verdict("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").status, 502u);
  // What Beast refuses itself (the caller answers 502 for any parse error).
  for (const std::string& raw : {ok + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n",
                                ok + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                                ok + "X-A: a\rSet-Cookie: x\r\n\r\n", ok + "X-A: a\nSet-Cookie: x\r\n\r\n",
                                ok + "Content-Length : 0\r\n\r\n"}) {
    bool refused = false;
    EXPECT_EQ(response_verdict(raw, &refused).status, 502u) << raw;
    EXPECT_TRUE(refused) << raw;
  }
}

TEST(ValidAuthority, Forms) {
  EXPECT_TRUE(valid_authority("a.example"));
  EXPECT_TRUE(valid_authority("a.example:80"));
  EXPECT_TRUE(valid_authority("a:"));
  EXPECT_TRUE(valid_authority("[::1]"));
  EXPECT_TRUE(valid_authority("10.0.0.1:443"));
  EXPECT_FALSE(valid_authority(""));
  EXPECT_FALSE(valid_authority(":80"));
  EXPECT_FALSE(valid_authority("[]"));
  EXPECT_FALSE(valid_authority("[::1"));
  EXPECT_FALSE(valid_authority("a b"));
  EXPECT_FALSE(valid_authority("a\"b"));
  EXPECT_FALSE(valid_authority("a:80:90"));
}

}  // namespace
}  // namespace kb::proxy::net::http1
