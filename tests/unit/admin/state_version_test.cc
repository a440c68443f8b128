// GET /api/state: the version moves exactly when a member's flags (or the table) change.
#include "proxy/admin/state_version.h"

#include <gtest/gtest.h>

#include "proxy/core/snapshot.h"
#include "proxy/core/state_registry.h"

namespace kb::proxy::admin {
namespace {

TEST(StateVersion, MovesOnAFlagFlipOrANewTableOnly) {
  config::Table t;
  config::Balancer b;
  b.name = "ns/web";
  config::Member m;
  m.url = m.name = "http://127.0.0.1:9001";
  b.members = {m};
  t.balancers = {b};
  core::StateRegistry registry;
  auto snap = core::build_snapshot(t, registry, 1);
  StateVersion version;
  const uint64_t v1 = version.observe(*snap);
  EXPECT_EQ(version.observe(*snap), v1);
  // Counters move all the time; they are not state.
  snap->balancers[0]->members()[0].state->elected.fetch_add(5);
  EXPECT_EQ(version.observe(*snap), v1);
  snap->balancers[0]->members()[0].state->set(core::kHcFailed);  // the health check failed
  const uint64_t v2 = version.observe(*snap);
  EXPECT_GT(v2, v1);
  snap->balancers[0]->members()[0].state->clear(core::kHcFailed);
  EXPECT_GT(version.observe(*snap), v2);
  const uint64_t v3 = version.observe(*snap);
  auto next = core::build_snapshot(t, registry, 2);  // a reload
  EXPECT_GT(version.observe(*next), v3);
  EXPECT_EQ(state_json(7), R"({"version":7})");
}

}  // namespace
}  // namespace kb::proxy::admin
