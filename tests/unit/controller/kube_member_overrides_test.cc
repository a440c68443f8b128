// Balancer-manager edits folded into a BalancerCluster's spec.memberOverrides.
#include "controller/kube/member_overrides.h"

#include <gtest/gtest.h>

namespace kb::controller::kube {
namespace {

ProxyEdit edit(const std::string& member) {
  ProxyEdit e;
  e.balancer = "default/web";
  e.member = member;
  return e;
}

TEST(MemberOverrides, DecodesTheProxyDocument) {
  const auto edits = decode_proxy_edits(
      R"({"edits":[{"balancer":"default/web","member":"pod-a","loadfactor":2.5,"lbset":1,"route":"r1",)"
      R"("redirect":"x","flags":{"D":true,"N":false}},{"member":"no balancer"}]})");
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].member, "pod-a");
  EXPECT_EQ(edits[0].loadfactor, 2.5);
  EXPECT_EQ(edits[0].lbset, 1);
  EXPECT_EQ(edits[0].route, "r1");
  EXPECT_EQ(edits[0].flags, (std::map<char, bool>{{'D', true}, {'N', false}}));
  EXPECT_THROW(decode_proxy_edits("{"), std::runtime_error);
  EXPECT_THROW(decode_proxy_edits("{}"), std::runtime_error);
}

TEST(MemberOverrides, AppendsAnEntryForANewMember) {
  ProxyEdit e = edit("pod-a");
  e.loadfactor = 3;
  e.flags['N'] = true;
  const auto patch = member_overrides_patch(R"({"metadata":{"name":"web"},"spec":{"service":{"name":"web"}}})", {e});
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"({"spec":{"memberOverrides":[{"loadFactor":3,"selector":{"podName":"pod-a"},"status":"+N"}]}})");
}

TEST(MemberOverrides, UpdatesTheMembersEntryKeepingOthersAndItsOtherFields) {
  const std::string cluster =
      R"({"spec":{"memberOverrides":[{"selector":{"address":"10.0.0.9"},"lbSet":1},)"
      R"({"selector":{"podName":"pod-a"},"route":"keep","status":"+D-H"}]}})";
  ProxyEdit e = edit("pod-a");
  e.flags['D'] = false;
  e.flags['N'] = true;
  e.lbset = 2;
  const auto patch = member_overrides_patch(cluster, {e});
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"({"spec":{"memberOverrides":[{"lbSet":1,"selector":{"address":"10.0.0.9"}},)"
                    R"({"lbSet":2,"route":"keep","selector":{"podName":"pod-a"},"status":"-D-H+N"}]}})");
}

TEST(MemberOverrides, CarriesTheResourceVersionAsAPrecondition) {
  ProxyEdit e = edit("pod-a");
  e.lbset = 1;
  const auto patch = member_overrides_patch(R"({"spec":{}})", {e}, "42");
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"({"metadata":{"resourceVersion":"42"},"spec":{"memberOverrides":[{"lbSet":1,)"
                    R"("selector":{"podName":"pod-a"}}]}})");
}

TEST(MemberOverrides, DecodesSequenceAndState) {
  const auto edits = decode_proxy_edits(
      R"({"edits":[{"balancer":"b","member":"m","seq":12,"state":"memory-only","note":"x"}]})");
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].seq, 12u);
  EXPECT_EQ(edits[0].state, "memory-only");
}

TEST(MemberOverrides, NothingToWriteWhenTheOverridesSayItAlready) {
  const std::string cluster =
      R"({"spec":{"memberOverrides":[{"selector":{"podName":"pod-a"},"loadFactor":2,"status":"+N"}]}})";
  ProxyEdit e = edit("pod-a");
  e.loadfactor = 2.0;
  e.flags['N'] = true;
  EXPECT_FALSE(member_overrides_patch(cluster, {e}));
  EXPECT_FALSE(member_overrides_patch(cluster, {}));
  EXPECT_THROW(member_overrides_patch("not json", {e}), std::runtime_error);
}

}  // namespace
}  // namespace kb::controller::kube
