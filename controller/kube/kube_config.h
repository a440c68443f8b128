#pragma once
// Where the API server is and how to authenticate: in-cluster (the service-account mount) or a
// kubeconfig file. Loading resolves every file reference and *-data field into PEM text, so the
// HTTP layer only sees bytes. The bearer token is the exception: bound service-account tokens
// rotate, so a token file is re-read whenever it changes (TokenSource).
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace kb::controller::kube {

class KubeConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClusterConfig {
  std::string server;      // "https://10.96.0.1:443"
  std::string ca_pem;      // trusted CA bundle; empty = system roots
  bool insecure_skip_tls_verify = false;
  std::string token;       // static bearer token (kubeconfig `token`)
  std::string token_file;  // re-read when it changes (in-cluster, kubeconfig `tokenFile`)
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string default_namespace;  // the pod's namespace or the context's; "" when unknown
  std::string source;             // "in-cluster" or the kubeconfig path, for logs
};

// The service-account mount; tests point KB_SERVICEACCOUNT_DIR elsewhere.
inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr const char* kServiceAccountDirEnv = "KB_SERVICEACCOUNT_DIR";

// Environment lookups go through this so tests do not mutate the process environment.
using Env = std::map<std::string, std::string>;
Env process_env(); // the variables this file reads, from the real environment

// In-cluster: KUBERNETES_SERVICE_HOST/PORT plus token, ca.crt and namespace from the mount.
ClusterConfig load_in_cluster(const Env& env);
// A kubeconfig: its current-context (or `context` when given), cluster and user. Relative file
// paths resolve against the kubeconfig's directory, as kubectl does.
ClusterConfig load_kubeconfig(const std::string& path, const std::string& context = "");
ClusterConfig parse_kubeconfig(const std::string& yaml_text, const std::filesystem::path& base_dir,
                               const std::string& context = "");
// controller-runtime's order: --kubeconfig, $KUBECONFIG (first entry), in-cluster when
// KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
ClusterConfig resolve_config(const std::string& kubeconfig_flag, const Env& env);

std::string base64_decode(const std::string& text);  // throws KubeConfigError on bad input
std::string read_file(const std::filesystem::path& path);  // throws KubeConfigError

// The bearer token to send: a static token, or the token file's content re-read when its
// modification time or size changed since the last read.
class TokenSource {
 public:
  explicit TokenSource(const ClusterConfig& config);
  std::string token();  // "" = no bearer authentication

 private:
  std::mutex mutex_;
  std::string static_token_;
  std::string file_;
  std::string cached_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
  bool loaded_ = false;
};

}  // namespace kb::controller::kube
