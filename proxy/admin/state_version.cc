#include "proxy/admin/state_version.h"

#include <atomic>
#include <string_view>

#include "proxy/admin/json_writer.h"

namespace kb::proxy::admin {

namespace {

// FNV-1a: the digest only has to tell "changed" from "same", not resist adversaries.
void mix(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= 0xff;  // field separator
  h *= 1099511628211ull;
}

void mix(uint64_t& h, uint64_t n) { mix(h, std::string_view(reinterpret_cast<const char*>(&n), sizeof n)); }

}  // namespace

uint64_t state_digest(const core::Snapshot& snapshot) {
  uint64_t h = 14695981039346656037ull;
  mix(h, snapshot.generation);
  for (const auto& b : snapshot.balancers) {
    mix(h, b->config().name);
    for (const core::Member& m : b->members()) {
      mix(h, m.config->name);
      mix(h, m.state->flags.load(std::memory_order_relaxed));
    }
  }
  return h;
}

uint64_t StateVersion::observe(const core::Snapshot& snapshot) {
  const uint64_t digest = state_digest(snapshot);
  std::lock_guard lock(mutex_);
  if (version_ == 0 || digest != digest_) {
    digest_ = digest;
    ++version_;
  }
  return version_;
}

std::string state_json(uint64_t version) {
  JsonWriter w;
  w.begin_object().field("version", version).end_object();
  return w.take();
}

}  // namespace kb::proxy::admin
