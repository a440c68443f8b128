#include "proxy/tls/tls_terminator.h"

#include <sys/stat.h>

namespace kb::proxy::tls {
namespace {

using SetHolder = std::shared_ptr<const CertificateSet>;

void free_set(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<SetHolder*>(ptr); }

int set_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_set);
  return index;
}

config::ConfigError field_error(std::string field, std::string message) {
  return config::ConfigError{"", 0, 0, std::move(field), std::move(message)};
}

}  // namespace

HandshakeInfo handshake_info(const SSL* ssl) {
  HandshakeInfo info;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn != nullptr) info.alpn = std::string_view(reinterpret_cast<const char*>(alpn), alpn_len);
  if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) info.sni = sni;
  return info;
}

TlsTerminator::TlsTerminator(TlsSettings settings)
    : settings_(std::move(settings)),
      ring_(std::make_shared<TicketKeyRing>(settings_.ticket_rotation, settings_.ticket_keys_kept, settings_.clock)),
      builder_(settings_, ring_) {}

TlsTerminator::FileStamp TlsTerminator::stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return FileStamp{static_cast<long long>(st.st_size),
                   static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                   static_cast<long long>(st.st_ino)};
}

LoadResult TlsTerminator::load(const config::CertificateFiles& files,
                               std::map<std::pair<std::string, std::string>, Loaded>& next) {
  const auto key = std::make_pair(files.certificate, files.key);
  const FileStamp cert_stamp = stamp(files.certificate), key_stamp = stamp(files.key);
  LoadResult r;
  if (auto it = loaded_.find(key);
      it != loaded_.end() && it->second.certificate == cert_stamp && it->second.key == key_stamp) {
    if (std::string why = validity_error(*it->second.value, files.certificate, settings_.now()); !why.empty()) {
      r.error = LoadError{"certificate", std::move(why)};
      return r;
    }
    r.value = it->second.value;
  } else {
    r = load_certified_key(files, settings_.now());
    if (!r.ok()) return r;
  }
  next[key] = Loaded{cert_stamp, key_stamp, r.value};
  return r;
}

std::shared_ptr<const CertifiedKey> TlsTerminator::self_signed() {
  if (!self_signed_) {
    self_signed_ = generate_self_signed(settings_.now());
    if (self_signed_ && settings_.log_info)
      settings_.log_info(std::string("tls: no defaultcertificate in the table: unknown or absent SNI gets a "
                                     "generated self-signed certificate (EC P-256, CN \"") +
                         kSelfSignedName + "\")");
  }
  return self_signed_;
}

TlsTerminator::Prepared TlsTerminator::prepare(const config::Table& table) {
  Prepared p;
  std::map<std::pair<std::string, std::string>, Loaded> next;
  std::vector<std::vector<std::string>> hosts;
  std::vector<std::shared_ptr<const CertifiedKey>> keys;
  for (std::size_t i = 0; i < table.tls.size(); ++i) {
    LoadResult r = load(table.tls[i].files, next);
    if (!r.ok()) p.errors.push_back(field_error("tls[" + std::to_string(i) + "]." + r.error.field, r.error.message));
    hosts.push_back(table.tls[i].hosts);
    keys.push_back(std::move(r.value));
  }
  std::shared_ptr<const CertifiedKey> default_key;
  if (table.default_certificate) {
    LoadResult r = load(*table.default_certificate, next);
    if (!r.ok()) p.errors.push_back(field_error("defaultcertificate." + r.error.field, r.error.message));
    default_key = std::move(r.value);
  } else {
    default_key = self_signed();
    if (!default_key) p.errors.push_back(field_error("defaultcertificate", "cannot generate a self-signed certificate"));
  }
  if (!p.errors.empty()) return p;  // the cache keeps what the serving set was built from
  loaded_ = std::move(next);
  if (built_ && hosts == built_hosts_ && keys == built_keys_ && default_key == built_default_) {
    p.set = built_;
    return p;
  }
  try {
    p.set = builder_.build(hosts, keys, default_key);
  } catch (const std::exception& e) {
    p.errors.push_back(field_error("tls", e.what()));
    return p;
  }
  built_ = p.set;
  built_hosts_ = std::move(hosts);
  built_keys_ = std::move(keys);
  built_default_ = std::move(default_key);
  return p;
}

void TlsTerminator::publish(std::shared_ptr<const CertificateSet> set) {
  current_.store(std::move(set), std::memory_order_release);
}

void TlsTerminator::attach(SSL* ssl, std::shared_ptr<const CertificateSet> set) {
  delete static_cast<SetHolder*>(SSL_get_ex_data(ssl, set_index()));
  SSL_set_ex_data(ssl, set_index(), new SetHolder(std::move(set)));
}

SSL* TlsTerminator::new_ssl() const {
  SetHolder set = current();
  if (!set) return nullptr;
  SSL* ssl = SSL_new(set->listener_context().native_handle());
  if (ssl != nullptr) attach(ssl, std::move(set));
  return ssl;
}

TlsStream TlsTerminator::make_stream(boost::asio::ip::tcp::socket socket) const {
  SetHolder set = current();
  TlsStream stream(std::move(socket), set->listener_context());
  attach(stream.native_handle(), std::move(set));
  return stream;
}

}  // namespace kb::proxy::tls
