#pragma once
// The JSON view of the served table and its runtime state, for /api/balancers (schema:
// docs/admin-api.md; the controller reads member status from it). Pure formatting: takes the
// balancers of one snapshot and reads their atomics, no locks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>

#include "proxy/core/balancer.h"

namespace kb::proxy::admin {

class JsonWriter;

struct TableInfo {
  uint64_t generation = 0;
  std::string source;                               // the table file
  std::chrono::system_clock::time_point loaded_at;  // when this generation was published
};

// Apache's flag letters for a bit set, e.g. "Ok" for none, "+H+E" otherwise.
std::string status_letters(uint32_t flags);
// A member can take new (non-sticky) requests: none of D, S, E, C.
bool member_usable(uint32_t flags);

void write_member(JsonWriter& w, const core::Member& member, core::TimePoint now);
void write_balancer(JsonWriter& w, const core::Balancer& balancer, core::TimePoint now);

// {"generation":..,"source":..,"loaded_at":..,"balancers":[...]}; with `only`, just the
// balancers it names (the controller asks for its BalancerClusters', not 20,000 members).
std::string balancers_json(std::span<const std::unique_ptr<core::Balancer>> balancers,
                           const TableInfo& info, core::TimePoint now,
                           const std::set<std::string, std::less<>>* only = nullptr);
// One balancer's object, or "" when no balancer has that name.
std::string balancer_json(std::span<const std::unique_ptr<core::Balancer>> balancers,
                          std::string_view name, const TableInfo& info, core::TimePoint now);

std::string iso8601_utc(std::chrono::system_clock::time_point t);  // "2026-11-24T14:03:07Z"

}  // namespace kb::proxy::admin
