#include "controller/runtime/table_publisher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kb::controller::runtime {
namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}
}  // namespace

TablePublisher::TablePublisher(std::string path) : path_(std::move(path)) {
  // A restarted controller finding its last table in place does not rewrite it.
  std::ifstream in(path_, std::ios::binary);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    last_ = text.str();
    known_ = true;
  }
}

bool TablePublisher::publish(const std::string& bytes) {
  if (known_ && bytes == last_) return false;
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("cannot create a temp file in " + dir.string());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(temp.c_str());
      fail("cannot write " + temp);
    }
    done += static_cast<size_t>(n);
  }
  // The proxy may read it from another container: make it world-readable like a normal file.
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail("cannot fsync " + temp);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    ::unlink(temp.c_str());
    fail("cannot rename " + temp + " to " + path_);
  }
  // The rename itself is durable only once the directory is synced.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  last_ = bytes;
  known_ = true;
  ++writes_;
  return true;
}

}  // namespace kb::controller::runtime
