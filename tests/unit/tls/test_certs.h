#pragma once
// Certificates made in the tests with OpenSSL's API (EC P-256, signed by their own key or by a
// test CA), written as PEM files into a temporary directory that the fixture removes.
#include <chrono>
#include <string>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/tls/openssl_ptr.h"

namespace kb::proxy::tls::test {

struct CertSpec {
  std::string common_name{};
  std::vector<std::string> dns_names{};  // subjectAltName
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
};

class TempCerts {
 public:
  TempCerts();
  ~TempCerts();
  // Writes NAME.crt and NAME.key; returns their paths.
  config::CertificateFiles make(const std::string& name, const CertSpec& spec);
  std::string write(const std::string& name, const std::string& text);  // any file; returns its path
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The common name of a certificate ("" when none).
std::string common_name(X509* cert);

}  // namespace kb::proxy::tls::test
