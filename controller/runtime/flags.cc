#include "controller/runtime/flags.h"

#include <map>
#include <sstream>

#include "controller/kube/publish_service.h"
#include "controller/runtime/metrics.h"
#include "proxy/config/table_yaml.h"

namespace kb::controller::runtime {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool parse_bool(const std::string& text, bool& out) {
  if (text == "true" || text == "1") {
    out = true;
  } else if (text == "false" || text == "0") {
    out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string usage() {
  return R"(usage: kube-balancer-controller --table-out PATH [flags]
  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --namespaces a,b           namespaces to watch (default: all)
  --ingress-class NAME       IngressClass to serve (default kube-balancer)
  --also-serve-ingress-class NAME  also serve Ingresses of this class name (e.g. nginx: a zero-edit
                             switch from ingress-nginx; default "": off)
  --table-out PATH           the table file the proxy serves (written atomically)
  --proxy-admin URL          the proxy's admin API for member status (default http://127.0.0.1:9901; "" = none)
  --publish-address ADDR     IP or hostname written to Ingress status.loadBalancer
  --publish-service NS/NAME  Ingress status.loadBalancer from this Service's load-balancer status
                             (else its externalIPs, else its clusterIP); beats --publish-address
  --tls-dir DIR              write the kubernetes.io/tls Secrets that spec.tls names here (mode 0600)
                             and render them as the table's tls entries (default "": off)
  --gateway-api BOOL         also serve Gateway API GatewayClass/Gateway/HTTPRoute (default false)
  --leader-elect BOOL        Lease-based leader election for status writes (default true)
  --lease-namespace NS       (default: the pod's namespace, else "default")
  --lease-name NAME          (default kube-balancer-controller)
  --identity ID              leader election identity (default: hostname_pid)
  --lease-duration DUR       how long a leader's lease lasts without renewal (default 15s)
  --renew-deadline DUR       a leader that cannot renew within this steps down (default 10s)
  --retry-period DUR         how often candidates and the leader try (default 2s)
  --debounce DURATION        quiet time before a reconcile (default 100ms)
  --debounce-ceiling DUR     longest delay of a reconcile in a burst (default 1s)
  --status-interval DUR      how often live member status is refreshed (default 10s)
  --watch-timeout DUR        server-side watch timeout (default 5m)
  --metrics-listen HOST:PORT serve Prometheus /metrics and /healthz there (default "": off;
                             port 0 = any free port, logged at startup)
)";
}

bool parse_flags(const std::vector<std::string>& args, Flags& flags, std::string& error) {
  static const std::map<std::string, bool> kBoolFlags = {{"leader-elect", true}, {"help", true}, {"gateway-api", true}};
  ControllerOptions& c = flags.controller;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (!has_value) {
      if (kBoolFlags.count(name) && (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        error = "--" + name + " needs a value";
        return false;
      }
    }
    auto duration = [&](std::chrono::milliseconds& out) {
      proxy::config::Duration d;
      std::string why;
      if (!proxy::config::parse_duration(value, d, why)) {
        error = "--" + name + ": " + why;
        return false;
      }
      out = d;
      return true;
    };
    std::chrono::milliseconds ms{};
    if (name == "kubeconfig") {
      flags.kubeconfig = value;
    } else if (name == "namespaces") {
      c.namespaces = split_list(value);
    } else if (name == "ingress-class") {
      c.ingress_class = value;
    } else if (name == "also-serve-ingress-class") {
      c.also_serve_ingress_class = value;
    } else if (name == "table-out") {
      c.table_out = value;
    } else if (name == "proxy-admin") {
      while (!value.empty() && value.back() == '/') value.pop_back();
      c.proxy_admin = value;
    } else if (name == "metrics-listen") {
      std::string why;
      if (!value.empty() && !valid_listen_address(value, why)) {
        error = "--metrics-listen: " + why;
        return false;
      }
      flags.metrics_listen = value;
    } else if (name == "publish-address") {
      c.publish_address = value;
    } else if (name == "publish-service") {
      if (!value.empty() && !kube::parse_publish_service(value)) {
        error = "--publish-service: expected NAMESPACE/NAME, got '" + value + "'";
        return false;
      }
      c.publish_service = value;
    } else if (name == "tls-dir") {
      c.tls_dir = value;
    } else if (name == "gateway-api") {
      if (!parse_bool(value, c.gateway_api)) {
        error = "--gateway-api: expected true or false, got '" + value + "'";
        return false;
      }
    } else if (name == "leader-elect") {
      if (!parse_bool(value, c.leader_elect)) {
        error = "--leader-elect: expected true or false, got '" + value + "'";
        return false;
      }
    } else if (name == "lease-namespace") {
      c.lease.lease_namespace = value;
    } else if (name == "lease-name") {
      c.lease.lease_name = value;
    } else if (name == "identity") {
      c.lease.identity = value;
    } else if (name == "lease-duration" || name == "renew-deadline" || name == "retry-period") {
      // Whole seconds: a Lease records leaseDurationSeconds as an integer.
      if (!duration(ms)) return false;
      if (ms.count() <= 0 || ms.count() % 1000 != 0) {
        error = "--" + name + ": must be a positive whole number of seconds, got '" + value + "'";
        return false;
      }
      const std::chrono::seconds s(ms.count() / 1000);
      (name == "lease-duration" ? c.lease.lease_duration
                                : name == "renew-deadline" ? c.lease.renew_deadline : c.lease.retry_period) = s;
    } else if (name == "debounce") {
      if (!duration(c.debounce)) return false;
    } else if (name == "debounce-ceiling") {
      if (!duration(c.debounce_ceiling)) return false;
    } else if (name == "status-interval") {
      if (!duration(c.status_interval)) return false;
    } else if (name == "watch-timeout") {
      if (!duration(ms)) return false;
      c.watch_timeout_seconds = static_cast<int>(std::max<int64_t>(1, ms.count() / 1000));
    } else {
      error = "unknown flag --" + name;
      return false;
    }
  }
  if (flags.help) return true;
  if (c.table_out.empty()) {
    error = "--table-out is required";
    return false;
  }
  if (c.lease.lease_name.empty()) {
    error = "--lease-name must not be empty";
    return false;
  }
  // client-go's rules: the lease outlives the renew deadline, which outlives a jittered retry.
  if (c.lease.lease_duration <= c.lease.renew_deadline) {
    error = "--lease-duration must be greater than --renew-deadline";
    return false;
  }
  if (c.lease.renew_deadline.count() * 10 <= c.lease.retry_period.count() * 12) {
    error = "--renew-deadline must be greater than 1.2 x --retry-period";
    return false;
  }
  if (c.debounce_ceiling < c.debounce) c.debounce_ceiling = c.debounce;
  return true;
}

}  // namespace kb::controller::runtime
