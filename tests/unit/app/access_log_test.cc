#include "proxy/app/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace kb::proxy::app {
namespace {

net::RequestRecord sample() {
  net::RequestRecord r;
  r.start = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  r.client = "127.0.0.1:50312";
  r.method = "GET";
  r.target = "/cart?id=1";
  r.host = "shop.test";
  r.status = 200;
  r.balancer = "web";
  r.member = "http://127.0.0.1:9001";
  r.route = "r1";
  r.bytes_in = 0;
  r.bytes_out = 512;
  r.duration = std::chrono::microseconds(830);
  r.attempts = 1;
  return r;
}

TEST(AccessLogFormat, OneLineWithEveryField) {
  EXPECT_EQ(format_access_line(sample()),
            "2023-11-14T22:13:20.123Z 127.0.0.1:50312 \"GET /cart?id=1\" 200 host=shop.test "
            "balancer=web member=http://127.0.0.1:9001 route=r1 session_route=- in=0 out=512 us=830 "
            "attempts=1 error=-\n");
}

TEST(AccessLogFormat, ClientControlledTextCannotBreakTheLine) {
  auto r = sample();
  r.target = "/a\"b\r\nc";
  r.host = "evil host";
  std::string line = format_access_line(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\"GET /a\\\"b\\x0d\\x0ac\""), std::string::npos) << line;
  EXPECT_NE(line.find("host=\"evil host\""), std::string::npos) << line;
}

TEST(AccessLog, WritesEveryRecordFromManyThreads) {
  char path[] = "/tmp/kb-access-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    AccessLog log(path);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) log.record(sample());
      });
    }
    for (auto& t : threads) t.join();
    log.flush();
    EXPECT_EQ(log.dropped(), 0u);
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(line.rfind("2023-11-14T22:13:20.123Z", 0), 0u) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 4000);
  unlink(path);
}

TEST(AccessLog, OffWritesNothing) {
  AccessLog log("off");
  EXPECT_FALSE(log.enabled());
  log.record(sample());
  log.flush();
}

TEST(AccessLog, UnopenableFileIsAClearError) {
  EXPECT_THROW(AccessLog("/nonexistent-dir/x.log"), std::runtime_error);
}

}  // namespace
}  // namespace kb::proxy::app
