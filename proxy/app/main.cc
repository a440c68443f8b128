// kube-balancer-proxy: Apache mod_proxy_balancer semantics as a standalone reverse proxy serving a
// YAML table. See --help and docs/running.md.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "proxy/app/options.h"
#include "proxy/app/proxy_app.h"

int main(int argc, char** argv) {
  using namespace kb::proxy::app;
  ParseResult parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) {
    std::fprintf(stderr, "kube-balancer-proxy: %s\n\n%s", parsed.error.c_str(), usage().c_str());
    return 2;
  }
  if (parsed.options.help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (parsed.options.version) {
    std::puts("kube-balancer-proxy 0.1.0");
    return 0;
  }
  try {
    ProxyApp app(parsed.options);
    return app.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kube-balancer-proxy: %s\n", e.what());
    return 1;
  }
}
