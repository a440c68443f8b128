#include "proxy/app/log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace kb::proxy::app {

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else return false;
  return true;
}

Logger::Logger() = default;

Logger::~Logger() {
  if (owned_) std::fclose(file_);
}

void Logger::open(const std::string& target) {
  std::FILE* f = stderr;
  bool owned = false;
  if (target != "-") {
    f = std::fopen(target.c_str(), "a");
    if (f == nullptr) throw std::runtime_error("cannot open error log " + target + ": " + std::strerror(errno));
    owned = true;
  }
  std::lock_guard lock(mutex_);
  if (owned_) std::fclose(file_);
  file_ = f;
  owned_ = owned;
}

void Logger::log(LogLevel level, std::string_view message) {
  if (level < level_) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  std::string line = iso8601_ms(std::chrono::system_clock::now());
  line += " [";
  line += kNames[static_cast<int>(level)];
  line += "] ";
  line += message;
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace kb::proxy::app
