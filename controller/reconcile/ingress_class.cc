#include "controller/reconcile/ingress_class.h"

#include "controller/reconcile/reconcile.h"

namespace kb::controller::reconcile {

namespace {
constexpr const char* kLegacyClassAnnotation = "kubernetes.io/ingress.class";
}

IngressClassFilter::IngressClassFilter(const std::vector<kube::IngressClass>& classes, const Options& options)
    : also_(options.also_serve_ingress_class) {
  for (const kube::IngressClass& c : classes) {
    if (c.controller != options.controller_name) continue;
    if (!options.ingress_class_name.empty() && c.metadata.name != options.ingress_class_name) continue;
    ours_.insert(c.metadata.name);
    if (c.is_default()) default_ = true;
  }
}

bool IngressClassFilter::is_ours(const kube::Ingress& ingress) const {
  if (ingress.ingress_class_name)
    return ours_.contains(*ingress.ingress_class_name) || (!also_.empty() && *ingress.ingress_class_name == also_);
  auto legacy = ingress.metadata.annotations.find(kLegacyClassAnnotation);
  if (legacy != ingress.metadata.annotations.end())
    return ours_.contains(legacy->second) || (!also_.empty() && legacy->second == also_);
  return default_;
}

}  // namespace kb::controller::reconcile
