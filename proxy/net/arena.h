#pragma once
// A per-session bump allocator for Beast's header fields. Every field of a request and of its
// response lives until the next request starts, so deallocation is a no-op and the session rewinds
// the arena between requests: no malloc per header field on the hot path.
#include <boost/beast/http/fields.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace kb::proxy::net {

class Arena {
 public:
  explicit Arena(std::size_t block_size = 8192) : block_size_(block_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(std::size_t n, std::size_t align) {
    std::size_t offset = (used_ + align - 1) & ~(align - 1);
    if (!block_ || offset + n > block_size_) return allocate_slow(n, align);
    used_ = offset + n;
    return block_.get() + offset;
  }
  // Only when nothing allocated from the arena is alive any more.
  void reset() {
    used_ = 0;
    overflow_.clear();
  }

 private:
  void* allocate_slow(std::size_t n, std::size_t align) {
    if (!block_) {
      block_ = std::make_unique<char[]>(block_size_);
      used_ = 0;
      if (n <= block_size_) return allocate(n, align);
    }
    // A header block larger than the arena (rare): a separate allocation freed at reset().
    overflow_.push_back(std::make_unique<char[]>(n + align));
    void* p = overflow_.back().get();
    std::size_t space = n + align;
    return std::align(align, n, p, space);
  }

  std::size_t block_size_;
  std::unique_ptr<char[]> block_;
  std::size_t used_ = 0;
  std::vector<std::unique_ptr<char[]>> overflow_;
};

template <class T>
class ArenaAllocator {
 public:
  using value_type = T;
  explicit ArenaAllocator(Arena& arena) noexcept : arena_(&arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena_(other.arena()) {}  // NOLINT

  T* allocate(std::size_t n) {
    return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T*, std::size_t) noexcept {}
  Arena* arena() const noexcept { return arena_; }

  template <class U>
  bool operator==(const ArenaAllocator<U>& other) const noexcept {
    return arena_ == other.arena();
  }
  template <class U>
  bool operator!=(const ArenaAllocator<U>& other) const noexcept {
    return arena_ != other.arena();
  }

 private:
  Arena* arena_;
};

using ArenaFields = boost::beast::http::basic_fields<ArenaAllocator<char>>;

}  // namespace kb::proxy::net
