#pragma once
// Command-line flags of kube-balancer-controller (docs/controller.md). Parsing is separate from
// main so that every rule is unit-tested.
#include <string>
#include <vector>

#include "controller/runtime/controller.h"

namespace kb::controller::runtime {

struct Flags {
  std::string kubeconfig;
  ControllerOptions controller;
  std::string metrics_listen;  // "HOST:PORT" serving /metrics and /healthz; "" = off
  bool help = false;
};

// Accepts "--name=value" and "--name value"; booleans also bare ("--leader-elect") .
// Returns false and sets `error` on an unknown flag or a bad value.
bool parse_flags(const std::vector<std::string>& args, Flags& flags, std::string& error);
std::string usage();

}  // namespace kb::controller::runtime
