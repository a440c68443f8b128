#include "proxy/config/table_cache.h"

#include <gtest/gtest.h>

namespace kb::proxy::config {
namespace {

Table sample(int balancers, int members) {
  Table t;
  for (int i = 0; i < balancers; ++i) {
    Balancer b;
    b.name = "ns/svc" + std::to_string(i) + ":80";
    b.sticky.cookie = b.sticky.url_param = "JSESSIONID";
    if (i % 2) b.lbmethod = LbMethod::kByBusyness;
    for (int j = 0; j < members; ++j) {
      Member m;
      m.url = "http://10.0." + std::to_string(i) + "." + std::to_string(j + 1) + ":8080";
      m.name = m.route = "pod-" + std::to_string(i) + "-" + std::to_string(j);
      if (j == 1) m.status.hot_standby = true;
      b.members.push_back(m);
    }
    Route r;
    r.host = "h" + std::to_string(i) + ".example.com";
    r.path = "/";
    r.balancer = b.name;
    t.routes.push_back(r);
    t.balancers.push_back(std::move(b));
  }
  t.default_backend = t.balancers.empty() ? "" : t.balancers[0].name;
  if (balancers > 1) {
    t.routes[1].ssl_redirect = false;
    t.tls.push_back({{"h0.example.com", "*.example.org"}, {"/etc/kb/h0.crt", "/etc/kb/h0.key"}, Hsts{600, true, false}});
    t.tls.push_back({{"h1.example.com"}, {"/etc/kb/h1.crt", "/etc/kb/h1.key"}, std::nullopt});
    t.default_certificate = CertificateFiles{"/etc/kb/default.crt", "/etc/kb/default.key"};
  }
  return t;
}

void expect_same(const TableResult& got, const TableResult& want) {
  ASSERT_EQ(got.errors.size(), want.errors.size());
  for (std::size_t i = 0; i < got.errors.size(); ++i) {
    EXPECT_EQ(got.errors[i].to_string(), want.errors[i].to_string());
  }
  if (want.ok()) {
    EXPECT_EQ(got.table, want.table);
  }
}

TEST(TableEmitter, SameBytesAsEmitTableAcrossChanges) {
  Table t = sample(5, 3);
  TableEmitter emitter;
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  t.balancers[2].members[0].url = "http://10.9.9.9:8080";  // a member moves
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  t.balancers.erase(t.balancers.begin() + 1);  // a Service goes away
  t.routes.erase(t.routes.begin() + 1);
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  t.default_backend.clear();
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  t.balancers.push_back(t.balancers[0]);  // a duplicate name: invalid, still the same bytes
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  EXPECT_EQ(emitter.emit(t), emit_table(t));
  EXPECT_EQ(emitter.emit(Table{}), emit_table(Table{}));
  EXPECT_EQ(emit_table(Table{}), std::string(kRenderedHeader) + "\nbalancers: []\nroutes: []\n");
}

TEST(TableParser, RenderedFormDecodesOnlyChangedBalancers) {
  Table t = sample(6, 4);
  TableParser parser;
  TableResult first = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(first.ok()) << first.errors.front().to_string();
  EXPECT_EQ(first.table, t);
  EXPECT_TRUE(parser.last().rendered_form);
  EXPECT_EQ(parser.last().balancers_decoded, 6u);

  t.balancers[4].members[2].url = "http://10.8.8.8:8080";
  t.balancers[4].members[2].name = "moved";
  const TableResult second = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.table, t);
  EXPECT_EQ(parser.last().balancers_decoded, 1u);
  EXPECT_EQ(parser.last().balancers_reused, 5u);

  // Routes and the default backend change too: they are read again.
  t.routes.pop_back();
  t.default_backend = t.balancers[3].name;
  const TableResult third = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third.table, t);
  EXPECT_EQ(parser.last().balancers_decoded, 0u);
}

TEST(TableParser, SameResultAsParseTableForEveryShape) {
  const std::string rendered = emit_table(sample(3, 2));
  const std::string header = std::string(kRenderedHeader) + "\n";
  // With the header, each of these exercises the split; without it, the whole parse.
  const std::vector<std::string> shapes = {
      "balancers: []\nroutes: []\n",
      "",
      "balancers:\n  - name: b\n    members: [{url: 'http://h'}]\nroutes: []\n",  // indented
      "routes: []\nbalancers: []\n",                                                // other key order
      "balancers:\n- name: b\n  members: [{url: 'http://h'}]\n",                    // no routes key
      "balancers:\n- &m {name: a, members: []}\n- name: b\n  members: []\nroutes: []\n",
      "balancers:\n- name: a\n  members: []\n- *x\nroutes: []\n",  // alias across blocks: an error
      "balancers: []\n- name: a\nroutes: []\n",                    // items after "[]"
      "balancers:\n- name: a\n  members: []\nroutes:\n- path: /\n  balancer: missing\n",
      "balancers:\n- name: a\n  members: [{url: 'ftp://h'}]\nroutes: []\n",  // validation error
      "balancers:\n- name: a\n  members: []\n- name: a\n  members: []\nroutes: []\n",  // duplicate
      "balancers:\n- name: a\n  lbmethod: nope\n  members: []\nroutes: []\n",
      "balancers:\n- name: a\n  members: []\nroutes: []\ndefaultbackend: a\nextra: 1\n",
      "balancers:\n- name: a\n  members: []\nroutes: []\ndefaultbackend: a\n",
      "balancers:\n- name: a\n  members: []\n  # a comment\n\n- name: b\n  members: []\nroutes: []\n",
      "balancers:\n\t- name: a\nroutes: []\n",
      "balancers: []\nroutes: []\ntls:\n- hosts: [a.example.com]\n  certificate: /c\n  key: /k\n",
      "balancers: []\nroutes: []\ndefaultcertificate: {certificate: /c, key: /k}\ntls: []\n",
      "balancers: []\nroutes: []\ntls:\n- hosts: [a.example.com]\n  certificate: /c\n",           // no key
      "balancers: []\nroutes: []\ntls:\n- hosts: [a.example.com]\n  certificate: /c\n  key: /k\n"
      "- hosts: [A.example.com]\n  certificate: /c\n  key: /k\n",                                 // same host twice
      "balancers: []\nroutes: []\ntls:\n- hosts: [a.example.com]\n  certificate: /c\n  key: /k\nroutes: []\n",
      "balancers: []\nroutes:\n- path: /\n  balancer: a\n  sslredirect: maybe\n",
  };
  std::vector<std::string> texts = {rendered, header + "# a comment\n" + rendered.substr(header.size()) + "# last\n",
                                    rendered.substr(0, rendered.size() - 1)};  // no final newline
  for (const std::string& s : shapes) {
    texts.push_back(s);
    texts.push_back(header + s);
  }
  // yaml-cpp ends an unterminated quote at the end of the text: only the whole parse sees that.
  texts.push_back("balancers:\n- name: 'a\n  members: []\nroutes: []\n");
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    TableParser cold;
    expect_same(cold.parse(text, "t.yaml"), parse_table(text, "t.yaml"));
    TableParser warm;  // a cache filled by the rendered table must not change any answer
    ASSERT_TRUE(warm.parse(rendered, "t.yaml").ok());
    expect_same(warm.parse(text, "t.yaml"), parse_table(text, "t.yaml"));
  }
}

TEST(TableParser, TheTlsTailIsReusedWhileItsTextIsUnchanged) {
  Table t = sample(3, 2);
  TableParser parser;
  ASSERT_TRUE(parser.parse(emit_table(t), "table.yaml").ok());
  t.balancers[2].members[0].loadfactor = 3;  // a member change: the tail is the same text
  TableResult r = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(parser.last().rendered_form);
  EXPECT_EQ(r.table, t);
  t.tls[1].files.key = "/etc/kb/h1-rotated.key";
  r = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(parser.last().rendered_form);
  EXPECT_EQ(r.table, t);
}

TEST(TableParser, HandWrittenTablesTakeTheWholeParse) {
  TableParser parser;
  const auto r = parser.parse("balancers:\n  - name: b\n    members: [{url: 'http://h'}]\nroutes: []\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(parser.last().rendered_form);
}

TEST(TableParser, ErrorsKeepTheirLineNumbers) {
  Table t = sample(3, 2);
  TableParser parser;
  ASSERT_TRUE(parser.parse(emit_table(t), "table.yaml").ok());
  std::string text = emit_table(t);
  const std::size_t at = text.find("http://10.0.2.1:8080");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "ftp:");
  const TableResult bad = parser.parse(text, "table.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.errors[0].to_string(), parse_table(text, "table.yaml").errors[0].to_string());
  EXPECT_GT(bad.errors[0].line, 1);
  // The next good file is read whole or in part, and right.
  const TableResult good = parser.parse(emit_table(t), "table.yaml");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.table, t);
}

}  // namespace
}  // namespace kb::proxy::config
