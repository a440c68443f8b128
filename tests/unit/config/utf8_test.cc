#include "proxy/config/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {
namespace {

TEST(Utf8, AcceptsAsciiAndWellFormedSequences) {
  EXPECT_FALSE(first_invalid_utf8(""));
  EXPECT_FALSE(first_invalid_utf8("name: shop\n"));
  EXPECT_FALSE(first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(first_invalid_utf8("\xF4\x8F\xBF\xBF"));                        // U+10FFFF
}

TEST(Utf8, FindsTheFirstBadByteWithLineAndColumn) {
  const auto bad = first_invalid_utf8("a: 1\nbb: x\xAAy\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->line, 2);
  EXPECT_EQ(bad->column, 6);
}

TEST(Utf8, RejectsOverlongSurrogatesTruncatedAndOutOfRange) {
  EXPECT_TRUE(first_invalid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_TRUE(first_invalid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_TRUE(first_invalid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_TRUE(first_invalid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_TRUE(first_invalid_utf8("\xE2\x82"));          // truncated
  EXPECT_TRUE(first_invalid_utf8("\xFF"));
}

// Found by tests/fuzz/table_fuzz: the byte 0xAA inside a balancer name was accepted, and the
// emitter wrote U+FFFD instead, so the controller's table did not say what the proxy read.
TEST(Utf8, TableWithInvalidUtf8IsRejectedWithItsPosition) {
  const std::string text = "balancers:\n  - name: a    sticke-focE\xAASssioI";
  const TableResult direct = parse_table(text, "t.yaml");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.errors[0].to_string().rfind("t.yaml:2:", 0), 0u) << direct.errors[0].to_string();
  EXPECT_NE(direct.errors[0].message.find("UTF-8"), std::string::npos);
  TableParser parser;
  EXPECT_FALSE(parser.parse(std::string(kRenderedHeader) + "\n" + text, "t.yaml").ok());
}

}  // namespace
}  // namespace kb::proxy::config
