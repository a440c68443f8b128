#pragma once
// KubeApi: the one door to the Kubernetes API server. The implementation (rest_kube_api.cc) is the
// only translation unit of the controller that includes cpprestsdk, which is in maintenance mode;
// callers see plain values: objects travel as JSON text plus the metadata the caches need, so the
// reflector, the runtime and the tests never depend on the HTTP library.
//
// Errors: every call throws ApiError on a non-2xx answer or a transport failure (status 0).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kb::controller::kube {

// A REST resource: group "" is the core API ("/api/v1"), others live under "/apis/GROUP/VERSION".
struct Resource {
  std::string group;     // "networking.k8s.io"
  std::string version;   // "v1"
  std::string resource;  // plural: "ingresses"
  bool namespaced = true;
  // "/apis/networking.k8s.io/v1/namespaces/NS/ingresses[/NAME[/SUB]]"; ns ignored when cluster-scoped
  // and "" means all namespaces.
  std::string path(const std::string& ns, const std::string& name = "",
                   const std::string& subresource = "") const;
  std::string to_string() const;  // "ingresses.v1.networking.k8s.io"
};

// The resources the controller reads and writes.
namespace resources {
Resource ingresses();
Resource ingress_classes();
Resource services();
Resource endpoint_slices();
Resource balancer_clusters();
Resource secrets();
Resource gateway_classes();  // Gateway API (only with --gateway-api)
Resource gateways();
Resource http_routes();
Resource reference_grants();
Resource leases();
Resource events();
}  // namespace resources

struct RawMeta {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
};

// One object: its metadata, decoded once, and the whole object as JSON text.
struct RawObject {
  RawMeta meta;
  std::string json;
};

struct ListOptions {
  int64_t limit = 0;           // 0 = no paging
  std::string continue_token;  // from the previous page
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
};

struct ListPage {
  std::vector<RawObject> items;
  std::string resource_version;  // of the list: where the watch starts
  std::string continue_token;    // non-empty when more pages follow
};

struct WatchOptions {
  std::string resource_version;
  bool allow_bookmarks = true;
  int timeout_seconds = 300;  // server-side end of the watch; a clean close follows
  std::string label_selector;
  std::string field_selector;
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* to_string(EventType type);

struct WatchEvent {
  EventType type = EventType::kError;
  RawObject object;  // for kBookmark only meta.resource_version is meaningful
  // For kError: the Status object's code (410 = resourceVersion too old), reason and message.
  int error_code = 0;
  std::string error_reason;
  std::string error_message;
};

// An open watch: a stream of newline-delimited JSON events read incrementally.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Blocks for the next event. Returns false when the server closed the stream cleanly (timeout
  // reached or cancel()); throws ApiError on a transport failure or an undecodable line.
  virtual bool next(WatchEvent& event) = 0;
  // Ends a blocked next() from another thread.
  virtual void cancel() = 0;
};

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string reason, const std::string& message,
           std::optional<std::chrono::seconds> retry_after = std::nullopt)
      : std::runtime_error(message), status_(status), reason_(std::move(reason)),
        retry_after_(retry_after) {}
  int status() const { return status_; }  // HTTP status; 0 = transport failure
  const std::string& reason() const { return reason_; }  // Status.reason: "NotFound", "Conflict"...
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }  // 429/503
  bool not_found() const { return status_ == 404; }
  bool conflict() const { return status_ == 409; }
  bool gone() const { return status_ == 410; }

 private:
  int status_;
  std::string reason_;
  std::optional<std::chrono::seconds> retry_after_;
};

class KubeApi {
 public:
  virtual ~KubeApi() = default;
  virtual RawObject get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  virtual ListPage list(const Resource& r, const std::string& ns, const ListOptions& options) = 0;
  virtual std::unique_ptr<WatchStream> watch(const Resource& r, const std::string& ns,
                                             const WatchOptions& options) = 0;
  // `json` is the whole object (create, update: update carries metadata.resourceVersion, so a
  // stale write fails with 409) or a JSON merge patch (RFC 7386).
  virtual RawObject create(const Resource& r, const std::string& ns, const std::string& json) = 0;
  virtual RawObject update(const Resource& r, const std::string& ns, const std::string& name,
                        const std::string& json) = 0;
  virtual RawObject merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                             const std::string& json) = 0;
  virtual RawObject patch_status(const Resource& r, const std::string& ns, const std::string& name,
                              const std::string& json) = 0;  // merge patch of the status subresource
  virtual void remove(const Resource& r, const std::string& ns, const std::string& name) = 0;
};

struct ClusterConfig;
// The cpprestsdk implementation over HTTPS (or plain HTTP when the server URL says so).
std::unique_ptr<KubeApi> make_rest_kube_api(const ClusterConfig& config);

}  // namespace kb::controller::kube
