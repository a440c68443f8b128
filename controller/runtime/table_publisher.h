#pragma once
// Hands the rendered table to the proxy through a file in a directory both share. The proxy
// watches the file and swaps tables only on a complete, valid one, so the write must be atomic:
// a temp file in the same directory, fsync, rename over the target, fsync the directory. A rename
// is atomic on POSIX file systems, so the proxy sees the old bytes or the new, never a mix.
//
// Equal bytes are not written (emit_table is deterministic), so a reconcile that changes nothing
// does not make the proxy reload. If the controller dies, the last file stays and the proxy keeps
// serving it.
#include <string>

namespace kb::controller::runtime {

class TablePublisher {
 public:
  explicit TablePublisher(std::string path);
  // Returns true when the file was written, false when it already held these bytes. Throws
  // std::runtime_error when the write fails (the previous file is then untouched).
  bool publish(const std::string& bytes);
  const std::string& path() const { return path_; }
  int writes() const { return writes_; }

 private:
  std::string path_;
  std::string last_;
  bool known_ = false;
  int writes_ = 0;
};

}  // namespace kb::controller::runtime
