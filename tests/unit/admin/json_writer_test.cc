#include "proxy/admin/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace kb::proxy::admin {
namespace {

TEST(JsonWriter, NestedContainersGetCommasRight) {
  JsonWriter w;
  w.begin_object();
  w.field("a", 1).field("b", "x");
  w.key("list").begin_array().value(true).value(false).null().begin_object().end_object().end_array();
  w.key("empty").begin_array().end_array();
  w.field("n", uint64_t{18446744073709551615u}).field("neg", int64_t{-5});
  w.end_object();
  EXPECT_EQ(w.str(),
            R"({"a":1,"b":"x","list":[true,false,null,{}],"empty":[],"n":18446744073709551615,"neg":-5})");
}

TEST(JsonWriter, EscapesStrings) {
  JsonWriter w;
  w.value(std::string_view("q\"b\\s/\n\t\x01 \xc3\xa9", 12));
  EXPECT_EQ(w.str(), "\"q\\\"b\\\\s/\\n\\t\\u0001 \xc3\xa9\"");
}

TEST(JsonWriter, DoublesRoundTripShortly) {
  JsonWriter w;
  w.begin_array().value(1.5).value(0.1).value(100.0).value(std::numeric_limits<double>::infinity()).end_array();
  EXPECT_EQ(w.str(), "[1.5,0.1,100,null]");
}

}  // namespace
}  // namespace kb::proxy::admin
