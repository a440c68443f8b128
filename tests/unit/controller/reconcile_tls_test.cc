// Ingress spec.tls -> `tls` entries + files: hosts, grouping by Secret, file names after the
// content (rotation), bad or missing Secrets (event naming the Secret and field; the previous
// material or the default certificate), validity windows, host conflicts, ssl-redirect.
#include <gtest/gtest.h>

#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/tls_certificates.h"
#include "proxy/config/table_yaml.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;

constexpr int64_t kNow = 1'800'000'000;

kube::Secret tls_secret(const std::string& ns, const std::string& name, const std::string& cert = "CERT-1",
                        const std::string& key = "KEY-1") {
  kube::Secret s;
  s.metadata = meta(ns, name);
  s.type = kube::kTlsSecretType;
  s.certificate = cert;
  s.key = key;
  s.not_before = kNow - 1000;
  s.not_after = kNow + 1000;
  return s;
}

kube::Ingress tls_ingress(const std::string& name, const std::string& host, const std::string& secret,
                          std::vector<std::string> tls_hosts) {
  kube::Ingress i = ingress("shop", name, host, {path("/", "Prefix", service_backend("web", 80))});
  i.tls.push_back({std::move(tls_hosts), secret});
  return i;
}

Snapshot base() {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  s.services.push_back(service("shop", "web"));
  return s;
}

Options opts() {
  Options o;
  o.tls_dir = "/run/kb-tls/";
  o.now_unix = kNow;
  return o;
}

TEST(ReconcileTls, SecretBecomesTlsEntryAndFiles) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {"shop.example.com", "*.example.com"}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  const Output out = reconcile(s, opts());
  expect_valid_table(out.table);
  EXPECT_TRUE(out.events.empty());
  ASSERT_EQ(out.table.tls.size(), 1u);
  const std::string stem = tls_file_stem("/run/kb-tls", "shop/shop-tls", {"CERT-1", "KEY-1", 0, 0});
  EXPECT_EQ(stem.rfind("/run/kb-tls/shop_shop-tls-", 0), 0u) << stem;
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"*.example.com", "shop.example.com"}));
  EXPECT_EQ(out.table.tls[0].files.certificate, stem + ".crt");
  EXPECT_EQ(out.table.tls[0].files.key, stem + ".key");
  ASSERT_EQ(out.tls_files.size(), 2u);
  EXPECT_EQ(out.tls_files[0], (TlsFile{stem + ".crt", "CERT-1"}));
  EXPECT_EQ(out.tls_files[1], (TlsFile{stem + ".key", "KEY-1"}));
  EXPECT_EQ(out.tls_secrets, (std::set<std::string>{"shop/shop-tls"}));
  ASSERT_TRUE(out.tls_in_use.contains("shop/shop-tls"));
  // The emitted table carries the entry (the proxy's parser reads it back in tls_test/table tests).
  EXPECT_NE(cfg::emit_table(out.table).find("shop_shop-tls-"), std::string::npos);
}

TEST(ReconcileTls, NoTlsDirRendersNothing) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  Options o = opts();
  o.tls_dir.clear();
  const Output out = reconcile(s, o);
  EXPECT_TRUE(out.table.tls.empty());
  EXPECT_TRUE(out.tls_files.empty());
  EXPECT_TRUE(out.tls_secrets.empty());
}

TEST(ReconcileTls, EntryWithoutHostsCoversTheRuleHosts) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  const Output out = reconcile(s, opts());
  ASSERT_EQ(out.table.tls.size(), 1u);
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"shop.example.com"}));
}

TEST(ReconcileTls, RotationRenamesTheFiles) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {"shop.example.com"}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  const Output before = reconcile(s, opts());
  s.secrets[0] = tls_secret("shop", "shop-tls", "CERT-2", "KEY-2");
  const Output after = reconcile(s, opts());
  ASSERT_EQ(after.table.tls.size(), 1u);
  EXPECT_NE(before.table.tls[0].files.certificate, after.table.tls[0].files.certificate);
  EXPECT_NE(before.table, after.table);  // the proxy reloads
  EXPECT_EQ(after.tls_files[0].content, "CERT-2");
}

TEST(ReconcileTls, MissingSecretGivesEventAndDefaultCertificate) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "nope", {"shop.example.com"}));
  const Output out = reconcile(s, opts());
  EXPECT_TRUE(out.table.tls.empty());
  EXPECT_TRUE(has_event(out, "Ingress", "web", "spec.tls[0].secretName: Secret shop/nope not found; its hosts get the default certificate"));
  EXPECT_EQ(out.events[0].reason, "InvalidTLSSecret");
  EXPECT_EQ(out.tls_secrets, (std::set<std::string>{"shop/nope"}));  // still watched for
}

TEST(ReconcileTls, BadSecretKeepsThePreviousMaterial) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {"shop.example.com"}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  const Output good = reconcile(s, opts());
  s.secrets[0] = tls_secret("shop", "shop-tls", "CERT-2", "OTHER-KEY");
  s.secrets[0].tls_error_field = "data[tls.key]";
  s.secrets[0].tls_error = "the private key does not match the certificate in data[tls.crt]";
  s.previous_tls = good.tls_in_use;
  const Output out = reconcile(s, opts());
  EXPECT_TRUE(has_event(out, "Ingress", "web",
                        "spec.tls[0].secretName: Secret shop/shop-tls: data[tls.key]: the private key does not match"));
  EXPECT_TRUE(has_event(out, "Ingress", "web", "keep the certificate served so far"));
  EXPECT_EQ(out.table.tls, good.table.tls);
  EXPECT_EQ(out.tls_files, good.tls_files);
  EXPECT_EQ(out.tls_in_use, good.tls_in_use);  // remembered for the next reconcile too
}

TEST(ReconcileTls, ExpiredSecretIsDroppedWithEvent) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {"shop.example.com"}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  s.secrets[0].not_after = kNow - 1;
  const Output out = reconcile(s, opts());
  EXPECT_TRUE(out.table.tls.empty());
  EXPECT_TRUE(has_event(out, "Ingress", "web", "Secret shop/shop-tls: data[tls.crt]: expired on 2027-01-15T07:59:59Z"));
  // An expired previous material is not kept either: the proxy would reject the whole table.
  s.previous_tls["shop/shop-tls"] = {"C", "K", kNow - 100, kNow - 1};
  EXPECT_TRUE(reconcile(s, opts()).table.tls.empty());
}

TEST(ReconcileTls, WrongTypeIsReported) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "opaque", {"shop.example.com"}));
  kube::Secret opaque = tls_secret("shop", "opaque");
  opaque.tls_error_field = "type";
  opaque.tls_error = "is 'Opaque', expected kubernetes.io/tls";
  s.secrets.push_back(opaque);
  const Output out = reconcile(s, opts());
  EXPECT_TRUE(has_event(out, "Ingress", "web", "Secret shop/opaque: type: is 'Opaque', expected kubernetes.io/tls"));
}

TEST(ReconcileTls, HostOfAnotherSecretIsReportedAndSkipped) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("a", "shop.example.com", "tls-a", {"shop.example.com"}));
  s.ingresses.push_back(tls_ingress("b", "shop.example.com", "tls-b", {"shop.example.com", "api.example.com"}));
  s.secrets.push_back(tls_secret("shop", "tls-a"));
  s.secrets.push_back(tls_secret("shop", "tls-b", "CERT-B", "KEY-B"));
  const Output out = reconcile(s, opts());
  expect_valid_table(out.table);
  EXPECT_TRUE(has_event(out, "Ingress", "b", "spec.tls[0].hosts[0]: host 'shop.example.com' already has the certificate of Secret shop/tls-a; ignored"));
  ASSERT_EQ(out.table.tls.size(), 2u);
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"shop.example.com"}));
  EXPECT_EQ(out.table.tls[1].hosts, (std::vector<std::string>{"api.example.com"}));
}

TEST(ReconcileTls, SameSecretInTwoIngressesIsOneEntry) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("a", "a.example.com", "wild", {"a.example.com"}));
  s.ingresses.push_back(tls_ingress("b", "b.example.com", "wild", {"b.example.com", "a.example.com"}));
  s.secrets.push_back(tls_secret("shop", "wild"));
  const Output out = reconcile(s, opts());
  EXPECT_TRUE(out.events.empty());
  ASSERT_EQ(out.table.tls.size(), 1u);
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"a.example.com", "b.example.com"}));
}

TEST(ReconcileTls, InvalidHostIsReportedNotRendered) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {"Shop_Example", "shop.example.com"}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  const Output out = reconcile(s, opts());
  expect_valid_table(out.table);
  EXPECT_TRUE(has_event(out, "Ingress", "web", "spec.tls[0].hosts[0]: must be a lowercase DNS name"));
  ASSERT_EQ(out.table.tls.size(), 1u);
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"shop.example.com"}));
}

TEST(ReconcileTls, OtherClassSecretsAreNotReferenced) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {}));
  s.ingresses[0].ingress_class_name = "other";
  EXPECT_TRUE(reconcile(s, opts()).tls_secrets.empty());
}

TEST(ReconcileTls, SslRedirectAnnotation) {
  Snapshot s = base();
  s.ingresses.push_back(tls_ingress("web", "shop.example.com", "shop-tls", {}));
  s.secrets.push_back(tls_secret("shop", "shop-tls"));
  EXPECT_EQ(reconcile(s, opts()).table.routes[0].ssl_redirect, std::nullopt);  // the proxy's default
  s.ingresses[0].metadata.annotations["kubebalancer.io/ssl-redirect"] = "false";
  EXPECT_EQ(reconcile(s, opts()).table.routes[0].ssl_redirect, std::optional<bool>(false));
  // Ours beats ingress-nginx's.
  s.ingresses[0].metadata.annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true";
  EXPECT_EQ(reconcile(s, opts()).table.routes[0].ssl_redirect, std::optional<bool>(false));
  s.ingresses[0].metadata.annotations.erase("kubebalancer.io/ssl-redirect");
  EXPECT_EQ(reconcile(s, opts()).table.routes[0].ssl_redirect, std::optional<bool>(true));
  s.ingresses[0].metadata.annotations["kubebalancer.io/ssl-redirect"] = "maybe";
  const Output bad = reconcile(s, opts());
  EXPECT_TRUE(has_event(bad, "Ingress", "web", "metadata.annotations[kubebalancer.io/ssl-redirect]"));
  EXPECT_EQ(bad.table.routes[0].ssl_redirect, std::optional<bool>(true));
}

}  // namespace
}  // namespace kb::controller::reconcile
