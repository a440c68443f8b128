#pragma once
// The access log: one line per request from net::RequestRecord, e.g.
//   2026-11-24T14:03:07.123Z 127.0.0.1:50312 "GET /cart?id=1" 200 host=shop.test balancer=web
//   member=http://127.0.0.1:9001 route=r1 session_route=r1 in=0 out=512 us=830 attempts=1 error=-
// Workers only format the line and append it to a queue under a short lock; a background thread
// writes batches, so a slow disk never blocks a worker. Past kMaxQueuedLines lines are dropped and
// counted rather than growing without bound.
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/net/proxy_server.h"

namespace kb::proxy::app {

std::string format_access_line(const net::RequestRecord& record);

class AccessLog {
 public:
  static constexpr std::size_t kMaxQueuedLines = 100000;

  // target: a file (appended), "-" (stdout) or "off" (record() does nothing).
  explicit AccessLog(const std::string& target);  // throws std::runtime_error if it cannot open
  ~AccessLog();                                   // flushes what is queued
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void record(const net::RequestRecord& record);  // any thread
  void flush();                                   // waits until queued lines are written
  uint64_t dropped() const;
  bool enabled() const { return file_ != nullptr; }

 private:
  void run();

  std::FILE* file_ = nullptr;
  bool owned_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<std::string> queue_;
  uint64_t dropped_ = 0;
  uint64_t pushed_ = 0;
  uint64_t written_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kb::proxy::app
