#include "proxy/app/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

namespace kb::proxy::app {
namespace {

TEST(Logger, LevelsAndLineFormat) {
  char path[] = "/tmp/kb-errlog-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    Logger log;
    log.open(path);
    log.set_level(LogLevel::kWarn);
    log.info("hidden");
    log.warn("shown");
    log.error("also shown");
  }
  std::ifstream in(path);
  std::string a, b, c;
  std::getline(in, a);
  std::getline(in, b);
  EXPECT_FALSE(std::getline(in, c));
  EXPECT_TRUE(std::regex_match(a, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[warn\] shown)"))) << a;
  EXPECT_NE(b.find("[error] also shown"), std::string::npos) << b;
  unlink(path);
}

TEST(Logger, BadTargetIsAClearError) {
  Logger log;
  EXPECT_THROW(log.open("/nonexistent-dir/e.log"), std::runtime_error);
}

TEST(Logger, Iso8601Milliseconds) {
  EXPECT_EQ(iso8601_ms(std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000007))),
            "2023-11-14T22:13:20.007Z");
}

TEST(Logger, ParseLevel) {
  LogLevel l{};
  EXPECT_TRUE(parse_log_level("error", l));
  EXPECT_EQ(l, LogLevel::kError);
  EXPECT_FALSE(parse_log_level("loud", l));
}

}  // namespace
}  // namespace kb::proxy::app
