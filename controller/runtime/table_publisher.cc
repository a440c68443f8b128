#include "controller/runtime/table_publisher.h"

#include <fstream>
#include <sstream>

#include "controller/runtime/atomic_file.h"

namespace kb::controller::runtime {

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
  // The proxy may read it from another container: world-readable like a normal file.
  write_file_atomic(path_, bytes, 0644);
  last_ = bytes;
  known_ = true;
  ++writes_;
  return true;
}

}  // namespace kb::controller::runtime
