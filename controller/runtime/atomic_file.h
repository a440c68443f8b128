#pragma once
// Replaces a file atomically: a temp file in the same directory (created with mode 0600, so its
// bytes are never readable by others, then set to `mode`), fsync, rename over the target, fsync of
// the directory. A reader sees the old file or the new one, never a mix. Throws std::runtime_error
// naming the file and errno.
#include <string>
#include <sys/types.h>

namespace kb::controller::runtime {

void write_file_atomic(const std::string& path, const std::string& bytes, mode_t mode);

}  // namespace kb::controller::runtime
