#include "controller/runtime/tls_files.h"

#include <filesystem>
#include <system_error>

#include "controller/runtime/atomic_file.h"

namespace kb::controller::runtime {
namespace fs = std::filesystem;

void TlsFiles::write(const std::vector<reconcile::TlsFile>& files) {
  for (const reconcile::TlsFile& f : files) {
    if (written_.contains(f.path)) continue;
    write_file_atomic(f.path, f.content, 0600);  // private keys: readable by the pod's user only
    written_.insert(f.path);
  }
}

int TlsFiles::published(const std::vector<reconcile::TlsFile>& files) {
  std::set<std::string> current;
  for (const reconcile::TlsFile& f : files) current.insert(f.path);
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string ext = e.path().extension().string();
    const std::string path = e.path().string();
    if (!e.is_regular_file(ec) || (ext != ".crt" && ext != ".key")) continue;
    if (current.contains(path) || previous_.contains(path)) continue;
    if (fs::remove(e.path(), ec)) ++removed;
    written_.erase(path);
  }
  previous_ = std::move(current);
  return removed;
}

}  // namespace kb::controller::runtime
