#include "proxy/net/upstream_pool.h"

#include <algorithm>

namespace kb::proxy::net {

std::unique_ptr<UpstreamConn> UpstreamPool::acquire(std::string_view key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<UpstreamConn> conn = std::move(it->second.back());
  it->second.pop_back();
  return conn;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConn> conn,
                           std::chrono::steady_clock::time_point now) {
  if (max_idle_per_key_ == 0) return;
  auto it = idle_.find(std::string_view(conn->key));
  if (it == idle_.end())
    it = idle_.emplace(conn->key, std::vector<std::unique_ptr<UpstreamConn>>{}).first;
  auto& list = it->second;
  if (list.size() >= max_idle_per_key_) list.erase(list.begin());  // drop the oldest
  conn->idle_since = now;
  list.push_back(std::move(conn));
}

void UpstreamPool::sweep(std::chrono::steady_clock::time_point now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    std::erase_if(list, [&](const std::unique_ptr<UpstreamConn>& c) {
      return now - c->idle_since >= idle_timeout_;
    });
    if (list.empty()) {
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
}

void UpstreamPool::clear() { idle_.clear(); }

std::size_t UpstreamPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace kb::proxy::net
