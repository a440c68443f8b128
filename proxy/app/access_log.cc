#include "proxy/app/access_log.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "proxy/app/log.h"

namespace kb::proxy::app {

namespace {

// Request targets come from clients: quote them safely so one line stays one line.
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ' ';
  out += key;
  out += '=';
  if (value.empty()) {
    out += '-';
    return;
  }
  bool plain = true;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\\') plain = false;
  }
  if (plain) {
    out += value;
  } else {
    append_quoted(out, value);
  }
}

}  // namespace

std::string format_access_line(const net::RequestRecord& r) {
  std::string line = iso8601_ms(r.start);
  line += ' ';
  line += r.client.empty() ? "-" : r.client;
  line += ' ';
  std::string request = r.method;
  request += ' ';
  request += r.target;
  append_quoted(line, request);
  line += ' ';
  line += std::to_string(r.status);
  append_field(line, "host", r.host);
  append_field(line, "balancer", r.balancer);
  append_field(line, "member", r.member);
  append_field(line, "route", r.route);
  append_field(line, "session_route", r.session_route);
  append_field(line, "in", std::to_string(r.bytes_in));
  append_field(line, "out", std::to_string(r.bytes_out));
  append_field(line, "us", std::to_string(r.duration.count()));
  append_field(line, "attempts", std::to_string(r.attempts));
  append_field(line, "error", r.error);
  line += '\n';
  return line;
}

AccessLog::AccessLog(const std::string& target) {
  if (target == "off") return;
  if (target == "-") {
    file_ = stdout;
  } else {
    file_ = std::fopen(target.c_str(), "a");
    if (file_ == nullptr) {
      throw std::runtime_error("cannot open access log " + target + ": " + std::strerror(errno));
    }
    owned_ = true;
  }
  thread_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (owned_) std::fclose(file_);
}

void AccessLog::record(const net::RequestRecord& record) {
  if (file_ == nullptr) return;
  std::string line = format_access_line(record);  // formatted outside the lock
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueuedLines) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(line));
    ++pushed_;
    notify = queue_.size() == 1;
  }
  if (notify) wake_.notify_one();
}

void AccessLog::flush() {
  if (file_ == nullptr) return;
  std::unique_lock lock(mutex_);
  uint64_t target = pushed_;
  wake_.notify_one();
  drained_.wait(lock, [&] { return written_ >= target; });
}

uint64_t AccessLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void AccessLog::run() {
  std::vector<std::string> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    batch.swap(queue_);
    lock.unlock();
    for (const auto& line : batch) std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
    std::size_t n = batch.size();
    batch.clear();
    lock.lock();
    written_ += n;
    drained_.notify_all();
  }
}

}  // namespace kb::proxy::app
