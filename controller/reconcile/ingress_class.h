#pragma once
// Which Ingresses are ours. An Ingress is ours when
//   - spec.ingressClassName names one of our IngressClasses (spec.controller == our controller name
//     and, when Options::ingress_class_name is set, that name), or
//   - it has no spec.ingressClassName but the legacy annotation kubernetes.io/ingress.class names
//     one of our classes, or
//   - it names no class at all and one of our classes carries
//     ingressclass.kubernetes.io/is-default-class: "true", or
//   - its class name (either way of naming it) is Options::also_serve_ingress_class.
#include <set>
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"

namespace kb::controller::reconcile {

struct Options;

class IngressClassFilter {
 public:
  IngressClassFilter(const std::vector<kube::IngressClass>& classes, const Options& options);
  bool is_ours(const kube::Ingress& ingress) const;
  bool is_default() const { return default_; }

 private:
  std::set<std::string> ours_;
  std::string also_;
  bool default_ = false;
};

}  // namespace kb::controller::reconcile
