#pragma once
// The error log: leveled lines "2026-11-24T14:03:07.123Z [warn] message" to a file or stderr.
// Control-plane only (reloads, health flips, startup); a mutex around one fwrite per line.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace kb::proxy::app {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Logger {
 public:
  Logger();  // stderr, info
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // "-" = stderr; otherwise appends to the file (throws std::runtime_error when it cannot open it).
  void open(const std::string& target);
  void set_level(LogLevel level) { level_ = level; }

  void log(LogLevel level, std::string_view message);
  void debug(std::string_view m) { log(LogLevel::kDebug, m); }
  void info(std::string_view m) { log(LogLevel::kInfo, m); }
  void warn(std::string_view m) { log(LogLevel::kWarn, m); }
  void error(std::string_view m) { log(LogLevel::kError, m); }

 private:
  std::mutex mutex_;
  std::FILE* file_ = stderr;
  bool owned_ = false;
  LogLevel level_ = LogLevel::kInfo;
};

bool parse_log_level(std::string_view text, LogLevel& out);
// "2026-11-24T14:03:07.123Z"
std::string iso8601_ms(std::chrono::system_clock::time_point t);

}  // namespace kb::proxy::app
