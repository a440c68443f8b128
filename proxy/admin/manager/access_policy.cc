#include "proxy/admin/manager/access_policy.h"

namespace kb::proxy::admin {

std::optional<std::vector<Cidr>> AccessPolicy::parse_list(std::string_view text, std::string& error) {
  auto set = core::CidrSet::parse(text, error);
  if (!set) return std::nullopt;
  return set->ranges();
}

AccessPolicy::Verdict AccessPolicy::check(std::string_view client_ip, std::string_view authorization) const {
  const auto ip = parse_ip(client_ip);
  bool allowed = false;
  if (ip)
    for (const Cidr& c : allow_) allowed = allowed || c.contains(*ip);
  if (!allowed) return Verdict::kAddressRefused;
  if (token_.empty()) return Verdict::kAllowed;
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return Verdict::kTokenRefused;
  const std::string_view given = authorization.substr(kBearer.size());
  // Constant-time comparison: the token must not leak through timing.
  unsigned diff = given.size() ^ token_.size();
  for (std::size_t i = 0; i < token_.size(); ++i) diff |= static_cast<unsigned char>(token_[i]) ^ (i < given.size() ? static_cast<unsigned char>(given[i]) : 0u);
  return diff == 0 ? Verdict::kAllowed : Verdict::kTokenRefused;
}

}  // namespace kb::proxy::admin
