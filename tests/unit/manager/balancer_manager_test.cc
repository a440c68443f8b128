#include "proxy/admin/manager/balancer_manager.h"

#include <gtest/gtest.h>

#include "proxy/admin/manager/form.h"
#include "proxy/admin/manager/manager_view.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::admin {
namespace {

constexpr const char* kTable = R"(
balancers:
  - name: shop
    stickysession: JSESSIONID
    members:
      - {url: "http://127.0.0.1:9001", name: a, route: r1}
      - {url: "http://127.0.0.1:9002", name: b, route: r2}
)";

// The app's wiring in miniature: a table, edits applied before every build, republish on edit.
struct Fixture {
  core::StateRegistry registry;
  EditStore edits;
  config::Table table;
  std::shared_ptr<const core::Snapshot> current;
  uint64_t generation = 0;
  int nonce_seq = 0;
  std::unique_ptr<BalancerManager> manager;

  explicit Fixture(const char* yaml = kTable, AccessPolicy policy = AccessPolicy()) {
    auto r = config::parse_table(yaml);
    EXPECT_TRUE(r.ok());
    table = r.table;
    publish();
    ManagerHooks hooks;
    hooks.current = [this] { return current; };
    hooks.republish = [this] { publish(); };
    hooks.random_nonce = [this] { return "nonce" + std::to_string(++nonce_seq); };
    manager = std::make_unique<BalancerManager>(std::move(policy), edits, hooks);
  }
  void publish() {
    config::Table effective = table;
    edits.apply(effective);
    current = core::build_snapshot(effective, registry, ++generation);
  }
  const core::MemberState& state(const char* member) { return *registry.find("shop", member); }
  AdminResponse post(const std::string& body, const std::string& ip = "127.0.0.1") {
    AdminRequest r;
    r.method = "POST";
    r.path = "/balancer-manager";
    r.body = body;
    return manager->handle(r, ip);
  }
  AdminResponse get(const std::string& query, const std::string& ip = "127.0.0.1") {
    AdminRequest r;
    r.method = "GET";
    r.path = "/balancer-manager";
    r.query = query;
    return manager->handle(r, ip);
  }
};

TEST(BalancerManager, RefusesAddressesOutsideTheAllowlist) {
  std::string err;
  Fixture f(kTable, AccessPolicy(*AccessPolicy::parse_list("127.0.0.1/32", err), ""));
  EXPECT_EQ(f.get("", "127.0.0.2").status, 403);
  const auto nonce = f.manager->nonce("shop");
  EXPECT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_status_D=1", "127.0.0.2").status, 403);
  EXPECT_FALSE(f.state("a").has(core::kDisabled));
  EXPECT_EQ(f.get("", "127.0.0.1").status, 200);
}

TEST(BalancerManager, EditWithoutOrWithStaleNonceChangesNothing) {
  Fixture f;
  EXPECT_EQ(f.post("b=shop&w=a&w_status_D=1&w_lf=5").status, 403);
  EXPECT_EQ(f.post("b=shop&w=a&nonce=stale&w_status_D=1&w_lf=5").status, 403);
  EXPECT_FALSE(f.state("a").has(core::kDisabled));
  EXPECT_EQ(f.state("a").lbfactor.load(), 100);
  EXPECT_FALSE(f.edits.find("shop", "a"));
  EXPECT_EQ(f.generation, 1u);  // nothing republished
}

TEST(BalancerManager, EditAppliesAtOnceAndSurvivesReload) {
  Fixture f;
  const auto nonce = f.manager->nonce("shop");
  const auto r = f.post("b=shop&w=a&nonce=" + nonce + "&w_status_N=1&w_lf=3&w_ls=1&w_wr=r9&w_rr=r2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(f.state("a").has(core::kDrain));
  EXPECT_EQ(f.state("a").lbfactor.load(), 300);
  EXPECT_EQ(f.state("a").lbset.load(), 1);
  EXPECT_EQ(f.current->balancers[0]->members()[0].config->route, "r9");  // republished
  EXPECT_EQ(f.current->balancers[0]->members()[0].config->redirect, "r2");
  // A reload of the same file (the member remains) keeps the edit.
  f.publish();
  EXPECT_TRUE(f.state("a").has(core::kDrain));
  EXPECT_EQ(f.state("a").lbfactor.load(), 300);
  EXPECT_EQ(f.current->balancers[0]->members()[0].config->route, "r9");
  // Clearing the flag works the same way.
  ASSERT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_status_N=0").status, 200);
  EXPECT_FALSE(f.state("a").has(core::kDrain));
  f.publish();
  EXPECT_FALSE(f.state("a").has(core::kDrain));
}

// The HTML form posts every field; only the ones that differ from the member's current values
// are edits. An untouched "N: off" radio must not become a -N that cancels a later termination
// drain (issue 12).
TEST(BalancerManager, FormEditRecordsOnlyWhatChanged) {
  Fixture f;
  const auto nonce = f.manager->nonce("shop");
  const auto r = f.post("b=shop&w=a&nonce=" + nonce +
                        "&w_lf=4&w_ls=0&w_wr=r1&w_rr=&w_status_I=0&w_status_N=0&w_status_D=0"
                        "&w_status_H=0&w_status_R=0&w_status_S=0");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto e = f.edits.find("shop", "a");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->loadfactor, 4.0);
  EXPECT_FALSE(e->lbset);
  EXPECT_FALSE(e->route);
  EXPECT_FALSE(e->redirect);
  EXPECT_TRUE(e->flags.empty());
  EXPECT_EQ(f.state("a").lbfactor.load(), 400);
  // The pod terminates: the controller renders +N into the table. The edit keeps the factor and
  // the drain holds.
  f.table.balancers[0].members[0].status.drain = true;
  f.publish();
  EXPECT_TRUE(f.state("a").has(core::kDrain));
  EXPECT_EQ(f.state("a").lbfactor.load(), 400);
  // The same form posted again with nothing changed records nothing new.
  ASSERT_EQ(f.post("b=shop&w=b&nonce=" + nonce +
                   "&w_lf=1&w_ls=0&w_wr=r2&w_rr=&w_status_I=0&w_status_N=0&w_status_D=0"
                   "&w_status_H=0&w_status_R=0&w_status_S=0")
                .status,
            200);
  EXPECT_FALSE(f.edits.find("shop", "b"));
}

TEST(BalancerManager, EditForAMemberThatLeftIsDropped) {
  Fixture f;
  ASSERT_EQ(f.post("b=shop&w=b&nonce=" + f.manager->nonce("shop") + "&w_status_D=1").status, 200);
  f.table.balancers[0].members.pop_back();  // member b leaves the table
  f.publish();
  EXPECT_FALSE(f.edits.find("shop", "b"));
}

TEST(BalancerManager, BadValuesRefuseTheWholeEdit) {
  Fixture f;
  const auto nonce = f.manager->nonce("shop");
  EXPECT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_status_D=1&w_lf=500").status, 400);
  EXPECT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_ls=100").status, 400);
  EXPECT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_status_D=yes").status, 400);
  EXPECT_EQ(f.post("b=shop&w=a&nonce=" + nonce + "&w_wr=r2").status, 400);  // route of member b
  EXPECT_EQ(f.post("b=shop&w=zz&nonce=" + nonce).status, 404);
  EXPECT_EQ(f.post("b=nope&w=a&nonce=" + nonce).status, 404);
  EXPECT_EQ(f.post("b=shop&w=a&nonce=%zz").status, 400);
  EXPECT_FALSE(f.state("a").has(core::kDisabled));
}

TEST(BalancerManager, GetNeverEdits) {
  Fixture f;
  const auto nonce = f.manager->nonce("shop");
  EXPECT_EQ(f.get("b=shop&w=a&nonce=" + nonce + "&w_status_D=1").status, 200);
  EXPECT_FALSE(f.state("a").has(core::kDisabled));
  AdminRequest put;
  put.method = "PUT";
  EXPECT_EQ(f.manager->handle(put, "127.0.0.1").status, 405);
}

TEST(BalancerManager, XmlAndJsonViews) {
  Fixture f;
  const auto xml = f.get("xml=1");
  EXPECT_EQ(xml.content_type, "text/xml; charset=utf-8");
  EXPECT_NE(xml.body.find("<httpd:manager xmlns:httpd=\"http://httpd.apache.org\">"), std::string::npos);
  EXPECT_NE(xml.body.find("<httpd:name>balancer://shop</httpd:name>"), std::string::npos);
  EXPECT_NE(xml.body.find("<httpd:route>r2</httpd:route>"), std::string::npos);
  EXPECT_NE(xml.body.find("<httpd:status>Init Ok</httpd:status>"), std::string::npos);
  const auto json = f.get("json=1");
  EXPECT_NE(json.body.find("\"nonces\":{\"shop\":\"nonce1\"}"), std::string::npos) << json.body;
}

TEST(BalancerManager, PageRendersHundredBalancersOfFiftyMembers) {
  std::string yaml = "balancers:\n";
  for (int b = 0; b < 100; ++b) {
    yaml += "  - name: b" + std::to_string(b) + "\n    members:\n";
    for (int m = 0; m < 50; ++m)
      yaml += "      - {url: \"http://10.0." + std::to_string(b) + "." + std::to_string(m + 1) + ":80\", route: r" +
              std::to_string(m) + "}\n";
  }
  Fixture f(yaml.c_str());
  const auto page = f.get("");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  std::size_t balancers = 0, forms = 0;
  for (std::size_t p = 0; (p = page.body.find("LoadBalancer Status for", p)) != std::string::npos; ++p) ++balancers;
  for (std::size_t p = 0; (p = page.body.find("<form class=edit", p)) != std::string::npos; ++p) ++forms;
  EXPECT_EQ(balancers, 100u);
  EXPECT_EQ(forms, 5000u);
  EXPECT_NE(page.body.find("http://10.0.99.50:80"), std::string::npos);
}

TEST(BalancerManager, StatusTextIsApaches) {
  EXPECT_EQ(apache_status_text(0), "Init Ok");
  EXPECT_EQ(apache_status_text(core::kDrain), "Init Drn Ok");
  EXPECT_EQ(apache_status_text(core::kInError), "Init Err");
  EXPECT_EQ(apache_status_text(core::kDisabled | core::kHcFailed), "Init Dis HcFl");
}

TEST(Form, Decoding) {
  EXPECT_EQ(*url_decode("a+b%2Fc"), "a b/c");
  EXPECT_FALSE(url_decode("%4"));
  EXPECT_FALSE(url_decode("%zz"));
  const auto f = parse_form("b=shop&w=http%3A%2F%2Fh%3A1&x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->at("w"), "http://h:1");
  EXPECT_EQ(f->at("x"), "");
  const auto q = parse_query("name=ns%2Fa%3A80&x=1&name=b");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"name", "ns/a:80"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"name", "b"}));
  EXPECT_FALSE(parse_query("name=%zz"));
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

// Where an edit lives is on the page, under the member's form: pending, saved (then dropped once
// the table carries it), or memory-only (no BalancerCluster): never silently lost.
TEST(BalancerManager, ThePageSaysWhereEachEditLives) {
  Fixture f;
  EXPECT_EQ(f.get("").body.find("edit-state"), std::string::npos);
  ASSERT_EQ(f.post("b=shop&w=a&nonce=" + f.manager->nonce("shop") + "&w_lf=4").status, 200);
  EXPECT_NE(f.get("").body.find("Edit pending: not yet saved to a BalancerCluster"), std::string::npos);
  ASSERT_TRUE(f.edits.acknowledge("shop", "a", f.edits.entry("shop", "a")->seq, EditState::kMemoryOnly,
                                  "balancer shop has no BalancerCluster to save it in"));
  const std::string page = f.get("").body;
  EXPECT_NE(page.find("Edit kept in this proxy&#39;s memory only (balancer shop has no BalancerCluster"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("lost when this proxy restarts"), std::string::npos);
}

}  // namespace
}  // namespace kb::proxy::admin
