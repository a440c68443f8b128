// GET /api/edits: the EditStore as JSON, read by the controller to write edits back to the
// BalancerCluster.
#include <gtest/gtest.h>

#include "proxy/admin/manager/edit_store.h"

namespace kb::proxy::admin {
namespace {

TEST(EditsJson, EmptyStore) {
  EditStore store;
  EXPECT_EQ(edits_json(store), R"({"edits":[]})");
}

TEST(EditsJson, OnlyEditedFieldsAppearAndEditsMerge) {
  EditStore store;
  MemberEdit a;
  a.loadfactor = 2.5;
  a.flags['N'] = true;
  store.record("default/web", "pod-a", a);
  MemberEdit a2;
  a2.route = "r\"1";
  a2.flags['D'] = false;
  store.record("default/web", "pod-a", a2);
  MemberEdit b;
  b.lbset = 1;
  b.redirect = "pod-a";
  store.record("default/web", "pod-b", b);
  EXPECT_EQ(edits_json(store),
            R"({"edits":[{"balancer":"default/web","member":"pod-a","loadfactor":2.5,"route":"r\"1",)"
            R"("flags":{"D":false,"N":true}},{"balancer":"default/web","member":"pod-b","lbset":1,)"
            R"("redirect":"pod-a"}]})");
}

}  // namespace
}  // namespace kb::proxy::admin
