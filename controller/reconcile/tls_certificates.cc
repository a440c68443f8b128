#include "controller/reconcile/tls_certificates.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "controller/reconcile/ingress_routes.h"

namespace kb::controller::reconcile {
namespace {

std::string utc_text(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// FNV-1a, 64 bits: names files after their content; not a security boundary.
uint64_t fnv1a(std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ULL;
  for (std::string_view part : {a, std::string_view("\n"), b})
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ULL;
  return h;
}

bool in_window(const TlsMaterial& m, int64_t now) { return now == 0 || (m.not_before <= now && now <= m.not_after); }

}  // namespace

std::string tls_file_stem(const std::string& dir, const std::string& key, const TlsMaterial& material) {
  std::string name = key;
  for (char& c : name)
    if (c == '/') c = '_';  // namespaces and Secret names are DNS names: '_' cannot clash
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(fnv1a(material.certificate, material.key)));
  return dir + "/" + name + "-" + hash;
}

TlsCertificates::TlsCertificates(const Snapshot& snapshot, const Options& options)
    : dir_(options.tls_dir), now_(options.now_unix), previous_(snapshot.previous_tls) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  for (const kube::Secret& s : snapshot.secrets) secrets_.emplace(s.metadata.key(), &s);
}

std::optional<TlsMaterial> TlsCertificates::material(const std::string& key, std::string& problem) const {
  auto it = secrets_.find(key);
  if (it == secrets_.end()) {
    problem = "Secret " + key + " not found";
    return std::nullopt;
  }
  const kube::Secret& s = *it->second;
  if (!s.tls_error.empty()) {
    problem = "Secret " + key + ": " + s.tls_error_field + ": " + s.tls_error;
    return std::nullopt;
  }
  if (now_ != 0 && now_ < s.not_before) {
    problem = "Secret " + key + ": data[tls.crt]: not valid before " + utc_text(s.not_before);
    return std::nullopt;
  }
  if (now_ != 0 && now_ > s.not_after) {
    problem = "Secret " + key + ": data[tls.crt]: expired on " + utc_text(s.not_after);
    return std::nullopt;
  }
  return TlsMaterial{s.certificate, s.key, s.not_before, s.not_after};
}

void TlsCertificates::add(const std::string& ns, const std::string& secret, const std::vector<std::string>& hosts,
                          const std::string& field, const std::string& hosts_field, FieldErrors& errors) {
  if (secret.empty()) {
    errors.push_back({field, "names no Secret; its hosts get the default certificate"});
    return;
  }
  const std::string key = ns + "/" + secret;
  referenced_.insert(key);
  std::string problem;
  std::optional<TlsMaterial> m = material(key, problem);
  if (!m) {
    auto prev = previous_.find(key);
    const bool keep = prev != previous_.end() && in_window(prev->second, now_);
    errors.push_back({field, problem + (keep ? "; its hosts keep the certificate served so far"
                                             : "; its hosts get the default certificate")});
    if (!keep) return;
    m = prev->second;
  }
  if (!in_use_.contains(key)) in_use_.emplace(key, std::move(*m));
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& host = hosts[i];
    std::string why;
    if (host.empty() || !valid_host(host, why)) {
      errors.push_back({hosts_field + "[" + std::to_string(i) + "]", (host.empty() ? "empty host" : why) + "; ignored"});
      continue;
    }
    auto [it, inserted] = host_owner_.try_emplace(host, key);
    if (!inserted && it->second != key) {
      errors.push_back({hosts_field + "[" + std::to_string(i) + "]",
                        "host '" + host + "' already has the certificate of Secret " + it->second + "; ignored"});
      continue;
    }
    hosts_[key].insert(host);
  }
}

void TlsCertificates::add_ingress(const kube::Ingress& ingress, FieldErrors& errors) {
  for (size_t i = 0; i < ingress.tls.size(); ++i) {
    const kube::IngressTls& tls = ingress.tls[i];
    const std::string path = "spec.tls[" + std::to_string(i) + "]";
    std::vector<std::string> hosts = tls.hosts;
    if (hosts.empty())
      for (const kube::IngressRule& rule : ingress.rules)
        if (!rule.host.empty()) hosts.push_back(rule.host);
    add(ingress.metadata.namespace_name, tls.secret_name, hosts, path + ".secretName", path + ".hosts", errors);
  }
}

void TlsCertificates::finish(Output& out) {
  out.tls_secrets = referenced_;
  for (const auto& [key, hosts] : hosts_) {
    const TlsMaterial& m = in_use_.at(key);
    const std::string stem = tls_file_stem(dir_, key, m);
    proxy::config::TlsEntry entry;
    entry.hosts.assign(hosts.begin(), hosts.end());
    entry.files = {stem + ".crt", stem + ".key"};
    out.table.tls.push_back(std::move(entry));
    out.tls_files.push_back({stem + ".crt", m.certificate});
    out.tls_files.push_back({stem + ".key", m.key});
  }
  std::sort(out.tls_files.begin(), out.tls_files.end(),
            [](const TlsFile& a, const TlsFile& b) { return a.path < b.path; });
  // Only what the table serves is remembered: a Secret no Ingress names any more is forgotten.
  for (auto& [key, m] : in_use_)
    if (hosts_.contains(key)) out.tls_in_use.emplace(key, std::move(m));
}

}  // namespace kb::controller::reconcile
