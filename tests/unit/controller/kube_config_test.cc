#include "controller/kube/kube_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace kb::controller::kube {
namespace {
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kbcfg-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: test
contexts:
- name: other
  context: {cluster: c2, user: u2}
- name: test
  context:
    cluster: c1
    user: u1
    namespace: team-a
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
- name: c2
  cluster:
    server: https://other:6443
    certificate-authority: ca.pem
users:
- name: u1
  user:
    token: s3cret
- name: u2
  user:
    client-certificate: client.crt
    client-key-data: a2V5
)";

TEST(KubeConfig, CurrentContextWithDataFieldsAndToken) {
  ClusterConfig c = parse_kubeconfig(kKubeconfig, "/nowhere");
  EXPECT_EQ(c.server, "https://127.0.0.1:6443");
  EXPECT_EQ(c.ca_pem, "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(c.token, "s3cret");
  EXPECT_EQ(c.default_namespace, "team-a");
  EXPECT_TRUE(c.client_cert_pem.empty());
}

TEST(KubeConfig, FilesResolveAgainstTheKubeconfigDirectory) {
  TempDir dir;
  dir.write("ca.pem", "CA");
  dir.write("client.crt", "CERT");
  ClusterConfig c = parse_kubeconfig(kKubeconfig, dir.path(), "other");
  EXPECT_EQ(c.server, "https://other:6443");
  EXPECT_EQ(c.ca_pem, "CA");
  EXPECT_EQ(c.client_cert_pem, "CERT");
  EXPECT_EQ(c.client_key_pem, "key");
}

TEST(KubeConfig, ErrorsNameTheProblem) {
  EXPECT_THROW(parse_kubeconfig("current-context: x\n", "/"), KubeConfigError);
  EXPECT_THROW(parse_kubeconfig("[1, 2", "/"), KubeConfigError);
  EXPECT_THROW(parse_kubeconfig("- a\n", "/"), KubeConfigError);
  try {
    parse_kubeconfig(kKubeconfig, "/nowhere", "other");  // ca.pem missing
    FAIL();
  } catch (const KubeConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ca.pem"), std::string::npos);
  }
  try {
    parse_kubeconfig(kKubeconfig, "/", "missing");
    FAIL();
  } catch (const KubeConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

TEST(KubeConfig, InClusterReadsTheMountFromTheOverriddenDirectory) {
  TempDir dir;
  dir.write("token", "tok-1\n");
  dir.write("ca.crt", "CA");
  dir.write("namespace", "kube-balancer\n");
  Env env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"},
          {kServiceAccountDirEnv, dir.path().string()}};
  ClusterConfig c = load_in_cluster(env);
  EXPECT_EQ(c.server, "https://10.96.0.1:443");
  EXPECT_EQ(c.ca_pem, "CA");
  EXPECT_EQ(c.default_namespace, "kube-balancer");
  EXPECT_EQ(TokenSource(c).token(), "tok-1");
  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(load_in_cluster(env).server, "https://[fd00::1]:443");
  EXPECT_THROW(load_in_cluster(Env{}), KubeConfigError);
}

TEST(KubeConfig, ResolveOrderFlagThenEnvThenInCluster) {
  TempDir dir;
  auto path = dir.write("config", kKubeconfig);
  dir.write("token", "t");
  dir.write("ca.crt", "CA");
  Env env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"},
          {kServiceAccountDirEnv, dir.path().string()}};
  EXPECT_EQ(resolve_config("", env).source, "in-cluster");
  env["KUBECONFIG"] = path.string() + ":/other";
  EXPECT_EQ(resolve_config("", env).source, path.string());
  EXPECT_THROW(resolve_config((dir.path() / "absent").string(), env), KubeConfigError);
  EXPECT_THROW(resolve_config("", Env{{"HOME", dir.path().string()}}), KubeConfigError);
}

TEST(KubeConfig, TokenFileIsReReadWhenItChanges) {
  TempDir dir;
  auto token = dir.write("token", "first");
  ClusterConfig c;
  c.token_file = token.string();
  TokenSource source(c);
  EXPECT_EQ(source.token(), "first");
  // Rotation: the kubelet swaps the file; a new size or mtime makes us read it again.
  dir.write("token.new", "second-token");
  fs::rename(dir.path() / "token.new", token);
  EXPECT_EQ(source.token(), "second-token");
  fs::remove(token);
  EXPECT_EQ(source.token(), "second-token");  // missing for an instant: keep the last
}

TEST(KubeConfig, Base64) {
  EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64_decode("aGVs\nbG8"), "hello");
  EXPECT_THROW(base64_decode("a*b"), KubeConfigError);
}

}  // namespace
}  // namespace kb::controller::kube
