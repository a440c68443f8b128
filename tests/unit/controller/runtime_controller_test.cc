// The controller loop against the in-memory API: it publishes the reconciled table once every
// reflector has listed (and not before), and writes Ingress status when it may.
#include "controller/runtime/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "controller/kube/testing/fake_kube_api.h"

namespace kb::controller::runtime {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace kr = kb::controller::kube::resources;

bool eventually(const std::function<bool()>& predicate, std::chrono::seconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ControllerHarness {
  kube::testing::FakeKubeApi api;
  SystemClock clock;
  fs::path dir;
  std::unique_ptr<Controller> controller;
  std::thread thread;

  ControllerHarness() {
    std::string tmpl = (fs::temp_directory_path() / "kbctl-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    api.put(kr::ingress_classes(), "", "kube-balancer",
            R"({"metadata":{"name":"kube-balancer"},"spec":{"controller":"kubebalancer.io/ingress-controller"}})");
    api.put(kr::services(), "app", "web",
            R"({"metadata":{"name":"web","namespace":"app"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}})");
    api.put(kr::endpoint_slices(), "app", "web-1",
            R"({"metadata":{"name":"web-1","namespace":"app","labels":{"kubernetes.io/service-name":"web"}},
                "addressType":"IPv4","ports":[{"name":"http","port":8080}],
                "endpoints":[{"addresses":["10.1.2.3"],"conditions":{"ready":true}}]})");
    api.put(kr::ingresses(), "app", "web",
            R"({"metadata":{"name":"web","namespace":"app"},"spec":{"ingressClassName":"kube-balancer",
                "rules":[{"host":"web.example","http":{"paths":[{"path":"/","pathType":"Prefix",
                "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  }
  ~ControllerHarness() {
    if (controller) controller->stop();
    if (thread.joinable()) thread.join();
    fs::remove_all(dir);
  }
  fs::path table() const { return dir / "table.yaml"; }
  void start() {
    ControllerOptions o;
    o.table_out = table().string();
    o.proxy_admin = "";
    o.publish_address = "192.0.2.10";
    o.leader_elect = false;
    o.debounce = 5ms;
    o.debounce_ceiling = 50ms;
    o.reflector.backoff_initial = 1ms;
    o.reflector.backoff_cap = 2ms;
    controller = std::make_unique<Controller>(api, o, clock, nullptr);
    thread = std::thread([this] { controller->run(); });
  }
};

TEST(Controller, PublishesTheReconciledTableAndWritesIngressStatus) {
  ControllerHarness h;
  h.start();
  ASSERT_TRUE(eventually([&] { return fs::exists(h.table()); }));
  const std::string text = slurp(h.table());
  EXPECT_NE(text.find("http://10.1.2.3:8080"), std::string::npos) << text;
  EXPECT_NE(text.find("web.example"), std::string::npos) << text;
  ASSERT_TRUE(eventually([&] { return h.api.count("patch_status") >= 1; }));
  h.controller->stop();
  h.thread.join();
  bool ingress_status = false;
  for (const auto& c : h.api.calls) {
    if (c.verb == "patch_status" && c.path == "/apis/networking.k8s.io/v1/namespaces/app/ingresses/web/status") {
      ingress_status = c.body.find("192.0.2.10") != std::string::npos;
    }
  }
  EXPECT_TRUE(ingress_status);
}

TEST(Controller, NothingIsPublishedUntilEveryReflectorHasListed) {
  ControllerHarness h;
  h.api.set_list_failure(kr::endpoint_slices(), true);
  h.start();
  // The others have listed and the slices keep failing (1-2 ms backoff): still no table, since an
  // incomplete cache would publish a table without members.
  ASSERT_TRUE(eventually([&] {
    return h.api.lists(kr::endpoint_slices()) >= 20 && h.api.lists(kr::ingresses()) >= 1 &&
           h.api.lists(kr::services()) >= 1 && h.api.lists(kr::ingress_classes()) >= 1 &&
           h.api.lists(kr::balancer_clusters()) >= 1;
  }));
  EXPECT_FALSE(fs::exists(h.table()));
  h.api.set_list_failure(kr::endpoint_slices(), false);
  ASSERT_TRUE(eventually([&] { return fs::exists(h.table()); }));
  EXPECT_NE(slurp(h.table()).find("http://10.1.2.3:8080"), std::string::npos);
}

}  // namespace
}  // namespace kb::controller::runtime
