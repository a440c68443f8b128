#include "proxy/admin/manager/access_policy.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace kb::proxy::admin {

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(&out[12], &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const bool v4 = (*ip)[10] == 0xff && (*ip)[11] == 0xff && text.substr(0, slash).find(':') == std::string_view::npos;
  Cidr c;
  c.address = *ip;
  c.prefix = 128;
  if (slash != std::string_view::npos) {
    const auto bits = text.substr(slash + 1);
    int n = -1;
    const auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec != std::errc() || p != bits.data() + bits.size() || n < 0 || n > (v4 ? 32 : 128)) return std::nullopt;
    c.prefix = v4 ? 96 + n : n;
  }
  return c;
}

bool Cidr::contains(const std::array<uint8_t, 16>& addr) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::optional<std::vector<Cidr>> AccessPolicy::parse_list(std::string_view text, std::string& error) {
  std::vector<Cidr> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const auto c = Cidr::parse(item);
    if (!c) {
      error = "not an IP address or CIDR: '" + std::string(item) + "'";
      return std::nullopt;
    }
    out.push_back(*c);
  }
  return out;
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
