#pragma once
// The check of a kubernetes.io/tls Secret made once per resourceVersion, when it is decoded: both
// PEM texts parse and the key matches the leaf certificate (proxy/tls's parser, so the controller
// accepts exactly what the proxy will load). Fills the Secret's tls_error_field/tls_error and the
// leaf's validity window; the window is compared with the clock at each reconcile, so a certificate
// that expires later is dropped then, before the proxy would reject the whole table for it.
#include "controller/kube/objects/objects.h"

namespace kb::controller::kube {

void check_tls_secret(Secret& secret);

}  // namespace kb::controller::kube
