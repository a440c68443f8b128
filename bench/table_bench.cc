// The cost of one member change at scale, on both sides of the table file: the controller renders
// the table (full emit against the cached TableEmitter), the proxy parses it (full parse against
// the cached TableParser) and builds a snapshot. Prints figures; never fails on timing.
//
//   table_bench [balancers=2000] [members_per_balancer=10] [rounds=10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"
#include "proxy/core/snapshot.h"

namespace {

using namespace kb::proxy;

config::Table make_table(int balancers, int members) {
  config::Table t;
  for (int i = 0; i < balancers; ++i) {
    config::Balancer b;
    char name[64];
    std::snprintf(name, sizeof name, "default/s%04d:80", i);
    b.name = name;
    b.sticky.cookie = b.sticky.url_param = "JSESSIONID";
    for (int j = 0; j < members; ++j) {
      config::Member m;
      m.url = "http://10.0." + std::to_string(i % 250) + "." + std::to_string(j + 1) + ":8080";
      std::snprintf(name, sizeof name, "s%04d-p%d", i, j);
      m.name = m.route = name;
      b.members.push_back(m);
    }
    config::Route r;
    r.host = "h" + std::to_string(i) + ".example.com";
    r.path = "/";
    r.balancer = b.name;
    t.routes.push_back(r);
    t.balancers.push_back(std::move(b));
  }
  return t;
}

// Median milliseconds of `rounds` runs of fn(round).
double median_ms(int rounds, const std::function<void(int)>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn(i);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void row(const char* what, double ms) { std::printf("| %-58s | %9.2f ms |\n", what, ms); }

}  // namespace

int main(int argc, char** argv) {
  const int balancers = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int members = argc > 2 ? std::atoi(argv[2]) : 10;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 10;
  config::Table table = make_table(balancers, members);
  // Round i moves member 0 of balancer (i * 7919) % balancers to a new address, like a pod replaced.
  auto change = [&](int round) {
    config::Member& m = table.balancers[static_cast<std::size_t>(round * 7919 % balancers)].members[0];
    m.url = "http://10.1." + std::to_string(round % 250) + ".1:8080";
    m.name = m.route = "moved-" + std::to_string(round);
  };

  const std::string text = config::emit_table(table);
  std::printf("table: %d balancers x %d members, %zu bytes; median of %d rounds\n\n", balancers, members,
              text.size(), rounds);
  std::printf("| step | time |\n|---|---|\n");

  row("controller: emit_table (whole table)", median_ms(rounds, [&](int i) {
        change(i);
        (void)config::emit_table(table);
      }));
  config::TableEmitter emitter;
  (void)emitter.emit(table);
  row("controller: TableEmitter::emit after one member change", median_ms(rounds, [&](int i) {
        change(rounds + i);
        (void)emitter.emit(table);
      }));

  std::vector<std::string> texts;
  for (int i = 0; i < rounds; ++i) {
    change(2 * rounds + i);
    texts.push_back(emitter.emit(table));
  }
  row("proxy: parse_table (whole table)", median_ms(rounds, [&](int i) {
        if (!config::parse_table(texts[static_cast<std::size_t>(i)]).ok()) std::abort();
      }));
  config::TableParser parser;
  (void)parser.parse(text);
  row("proxy: TableParser::parse after one member change", median_ms(rounds, [&](int i) {
        if (!parser.parse(texts[static_cast<std::size_t>(i)]).ok()) std::abort();
      }));

  core::StateRegistry registry;
  uint64_t generation = 0;
  std::vector<config::Table> tables;
  for (const std::string& t : texts) tables.push_back(config::parse_table(t).table);
  (void)core::build_snapshot(tables[0], registry, ++generation);
  row("proxy: build_snapshot (state of kept members reused)", median_ms(rounds, [&](int i) {
        (void)core::build_snapshot(std::move(tables[static_cast<std::size_t>(i)]), registry, ++generation);
      }));
  return 0;
}
