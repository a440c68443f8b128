#include "controller/runtime/clock.h"

#include <cstdio>
#include <ctime>

namespace kb::controller::runtime {

std::string format_time(std::chrono::system_clock::time_point t, bool micros) {
  using namespace std::chrono;
  const auto since = duration_cast<microseconds>(t.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(floor<std::chrono::seconds>(since).count());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (micros) {
    const long long frac = since.count() - static_cast<long long>(seconds) * 1000000;
    char f[16];
    std::snprintf(f, sizeof f, ".%06lld", frac);
    out += f;
  }
  return out + "Z";
}

bool parse_time(const std::string& text, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  int year, month, day, hour, minute, second;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return false;
  }
  long long micros = 0;
  size_t i = static_cast<size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (i + 1 != text.size() || text[i] != 'Z') return false;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t seconds = timegm(&tm);
  out = std::chrono::system_clock::time_point(std::chrono::seconds(seconds)) +
        std::chrono::microseconds(micros);
  return true;
}

}  // namespace kb::controller::runtime
