#pragma once
// Owning pointers for the OpenSSL objects this module creates.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace kb::proxy::tls {

struct OpensslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};
using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;
using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpensslFree>;
using SslPtr = std::unique_ptr<SSL, OpensslFree>;
using SessionPtr = std::unique_ptr<SSL_SESSION, OpensslFree>;

}  // namespace kb::proxy::tls
