#pragma once
// The certificate and key files of the table's `tls` entries (--tls-dir, an in-memory emptyDir
// only the pod mounts). Each file is written once, mode 0600, atomically (write_file_atomic),
// before the table naming it is published. Names carry a hash of the content (reconcile's
// tls_file_stem), so a rotated Secret gets new files and the old ones are never changed under a
// reading proxy; after a publish, files named by neither this table nor the one before are removed.
#include <set>
#include <string>
#include <vector>

#include "controller/reconcile/reconcile.h"

namespace kb::controller::runtime {

class TlsFiles {
 public:
  explicit TlsFiles(std::string dir) : dir_(std::move(dir)) {}

  // Writes the files not written yet. Throws std::runtime_error (then do not publish).
  void write(const std::vector<reconcile::TlsFile>& files);
  // The table naming `files` was published: removes the `.crt`/`.key` files of the directory that
  // neither it nor the previously published table names. Returns how many were removed.
  int published(const std::vector<reconcile::TlsFile>& files);

 private:
  std::string dir_;
  std::set<std::string> written_;
  std::set<std::string> previous_;  // the paths of the table published before
};

}  // namespace kb::controller::runtime
