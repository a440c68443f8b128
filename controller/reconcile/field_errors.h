#pragma once
// A problem found in one field of one object, reported as an InvalidSpec condition and an Event.
#include <string>
#include <vector>

namespace kb::controller::reconcile {

struct FieldError {
  std::string field;    // "spec.lbMethod", "metadata.annotations[kubebalancer.io/lbmethod]"
  std::string message;  // "unknown lbmethod 'rr' (byrequests, bytraffic, bybusyness, heartbeat)"
  std::string to_string() const { return field + ": " + message; }
  friend bool operator==(const FieldError&, const FieldError&) = default;
};
using FieldErrors = std::vector<FieldError>;

}  // namespace kb::controller::reconcile
