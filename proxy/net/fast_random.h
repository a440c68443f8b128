#pragma once
// The worker's random numbers for the route decision (weighted backends, canary-weight): SplitMix64
// (Steele, Lea, Flood 2014; the seeder of xoshiro), one add and three multiply-xorshift rounds per
// number, uniform over uint64. One per worker thread, so no lock and no atomic; not for secrets.
#include <cstdint>

namespace kb::proxy::net {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace kb::proxy::net
