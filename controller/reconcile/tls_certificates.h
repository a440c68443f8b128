#pragma once
// kubernetes.io/tls Secrets -> the table's `tls` entries and the files they name (docs/tls.md,
// "Kubernetes"). Sources add references (an Ingress's spec.tls[i], later a Gateway listener's
// certificateRefs); finish() groups the hosts by Secret.
//
// A reference whose Secret is missing, of another type, unparsable, mismatched or outside its
// validity window is reported on the referring object (field + Secret + why); its hosts keep the
// material the previous reconcile served from that Secret while that is still valid, else they get
// the default certificate. A host already covered by another Secret is reported and skipped (a
// host appears in one `tls` entry only). Files are named after a hash of their content
// ("<dir>/<namespace>_<name>-<hash>.crt" and ".key"), so a rotated Secret gets new files and a
// changed table, which makes the proxy reload; old files are never rewritten in place.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/field_errors.h"
#include "controller/reconcile/reconcile.h"

namespace kb::controller::reconcile {

class TlsCertificates {
 public:
  TlsCertificates(const Snapshot& snapshot, const Options& options);

  bool enabled() const { return !dir_.empty(); }
  // One reference. `hosts` are exact or one-label wildcards; `field` names the reference in
  // problems ("spec.tls[0].secretName"), `hosts_field` the hosts ("spec.tls[0].hosts").
  void add(const std::string& ns, const std::string& secret, const std::vector<std::string>& hosts,
           const std::string& field, const std::string& hosts_field, FieldErrors& errors);
  // An Ingress's spec.tls; an entry without hosts covers the hosts of the Ingress's rules.
  void add_ingress(const kube::Ingress& ingress, FieldErrors& errors);
  // Fills out.table.tls, out.tls_files, out.tls_in_use and out.tls_secrets.
  void finish(Output& out);

 private:
  std::optional<TlsMaterial> material(const std::string& key, std::string& problem) const;

  std::string dir_;
  int64_t now_;
  std::map<std::string, const kube::Secret*> secrets_;  // "ns/name"
  const std::map<std::string, TlsMaterial>& previous_;
  std::map<std::string, std::set<std::string>> hosts_;  // Secret key -> hosts, for the entries
  std::map<std::string, std::string> host_owner_;       // host -> Secret key
  std::map<std::string, TlsMaterial> in_use_;
  std::set<std::string> referenced_;
};

// The file name stem of a Secret's material: "<dir>/<ns>_<name>-<16 hex digits of its hash>".
std::string tls_file_stem(const std::string& dir, const std::string& key, const TlsMaterial& material);

}  // namespace kb::controller::reconcile
