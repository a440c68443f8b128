#include "controller/kube/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kb::controller::kube {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return s.substr(i);
}

std::string get_env(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// The entry of a kubeconfig list ("clusters", "users", "contexts") called `name`.
YAML::Node find_named(const YAML::Node& root, const char* list, const char* field,
                      const std::string& name, const std::string& source) {
  const YAML::Node entries = root[list];
  if (entries && entries.IsSequence()) {
    for (const auto& entry : entries) {
      if (entry["name"] && entry["name"].as<std::string>() == name) {
        const YAML::Node body = entry[field];
        if (!body || !body.IsMap()) {
          throw KubeConfigError(source + ": " + list + " entry '" + name + "' has no " + field);
        }
        return body;
      }
    }
  }
  throw KubeConfigError(source + ": no " + field + " named '" + name + "' in " + list);
}

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value) return {};
  if (!value.IsScalar()) throw KubeConfigError(std::string("kubeconfig field '") + key + "' must be a string");
  return value.as<std::string>();
}

// `<key>-data` (base64) wins over `<key>` (a file, relative to the kubeconfig's directory).
std::string pem_field(const YAML::Node& node, const std::string& key, const fs::path& base_dir) {
  const std::string data = scalar(node, (key + "-data").c_str());
  if (!data.empty()) return base64_decode(data);
  const std::string file = scalar(node, key.c_str());
  if (file.empty()) return {};
  fs::path p(file);
  if (p.is_relative()) p = base_dir / p;
  return read_file(p);
}

}  // namespace

Env process_env() {
  Env env;
  for (const char* name : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG",
                           "HOME", kServiceAccountDirEnv}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KubeConfigError("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    int v = value(c);
    if (v < 0) throw KubeConfigError("invalid base64 data");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

ClusterConfig load_in_cluster(const Env& env) {
  const std::string host = get_env(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = get_env(env, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    throw KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
  }
  std::string dir = get_env(env, kServiceAccountDirEnv);
  if (dir.empty()) dir = kServiceAccountDir;
  ClusterConfig config;
  // An IPv6 service host needs brackets in a URL.
  const bool v6 = host.find(':') != std::string::npos;
  config.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  config.token_file = (fs::path(dir) / "token").string();
  if (!fs::exists(config.token_file)) throw KubeConfigError("missing " + config.token_file);
  config.ca_pem = read_file(fs::path(dir) / "ca.crt");
  if (fs::exists(fs::path(dir) / "namespace")) {
    config.default_namespace = trim(read_file(fs::path(dir) / "namespace"));
  }
  config.source = "in-cluster";
  return config;
}

ClusterConfig parse_kubeconfig(const std::string& yaml_text, const fs::path& base_dir,
                               const std::string& context_name) {
  const std::string source = "kubeconfig";
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw KubeConfigError(source + ": " + e.what());
  }
  if (!root.IsMap()) throw KubeConfigError(source + ": not a YAML mapping");
  try {
    std::string name = context_name.empty() ? scalar(root, "current-context") : context_name;
    if (name.empty()) throw KubeConfigError(source + ": no current-context");
    const YAML::Node context = find_named(root, "contexts", "context", name, source);
    const std::string cluster_name = scalar(context, "cluster");
    const std::string user_name = scalar(context, "user");
    const YAML::Node cluster = find_named(root, "clusters", "cluster", cluster_name, source);

    ClusterConfig config;
    config.server = scalar(cluster, "server");
    if (config.server.empty()) throw KubeConfigError(source + ": cluster '" + cluster_name + "' has no server");
    config.ca_pem = pem_field(cluster, "certificate-authority", base_dir);
    config.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
    config.default_namespace = scalar(context, "namespace");
    if (!user_name.empty()) {
      const YAML::Node user = find_named(root, "users", "user", user_name, source);
      config.token = scalar(user, "token");
      std::string token_file = scalar(user, "tokenFile");
      if (!token_file.empty()) {
        fs::path p(token_file);
        if (p.is_relative()) p = base_dir / p;
        config.token_file = p.string();
      }
      config.client_cert_pem = pem_field(user, "client-certificate", base_dir);
      config.client_key_pem = pem_field(user, "client-key", base_dir);
      if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
        throw KubeConfigError(source + ": user '" + user_name +
                          "' needs both client-certificate and client-key");
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    throw KubeConfigError(source + ": " + e.what());
  }
}

ClusterConfig load_kubeconfig(const std::string& path, const std::string& context) {
  ClusterConfig config;
  try {
    config = parse_kubeconfig(read_file(path), fs::path(path).parent_path(), context);
  } catch (const KubeConfigError& e) {
    std::string what = e.what();
    if (what.rfind("kubeconfig", 0) == 0) what = path + what.substr(10);
    throw KubeConfigError(what);
  }
  config.source = path;
  return config;
}

ClusterConfig resolve_config(const std::string& kubeconfig_flag, const Env& env) {
  if (!kubeconfig_flag.empty()) return load_kubeconfig(kubeconfig_flag);
  std::string from_env = get_env(env, "KUBECONFIG");
  if (!from_env.empty()) return load_kubeconfig(from_env.substr(0, from_env.find(':')));
  if (!get_env(env, "KUBERNETES_SERVICE_HOST").empty()) return load_in_cluster(env);
  const std::string home = get_env(env, "HOME");
  if (!home.empty() && fs::exists(fs::path(home) / ".kube" / "config")) {
    return load_kubeconfig((fs::path(home) / ".kube" / "config").string());
  }
  throw KubeConfigError("no cluster configuration: pass --kubeconfig, set KUBECONFIG, or run in a pod");
}

TokenSource::TokenSource(const ClusterConfig& config)
    : static_token_(config.token), file_(config.token_file) {}

std::string TokenSource::token() {
  if (file_.empty()) return static_token_;
  std::lock_guard lock(mutex_);
  std::error_code ec;
  const auto mtime = fs::last_write_time(file_, ec);
  const auto size = ec ? 0 : fs::file_size(file_, ec);
  if (ec) {
    // A rotation is a rename over the file; keep the last token for the instant it is missing.
    if (loaded_) return cached_;
    throw KubeConfigError("cannot read token file " + file_ + ": " + ec.message());
  }
  if (!loaded_ || mtime != mtime_ || size != size_) {
    cached_ = trim(read_file(file_));
    mtime_ = mtime;
    size_ = size;
    loaded_ = true;
  }
  return cached_;
}

}  // namespace kb::controller::kube
