#include "proxy/core/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace kb::proxy::core {

IpBytes ipv4_mapped(const std::array<uint8_t, 4>& v4) {
  IpBytes out{};
  out[10] = out[11] = 0xff;
  std::memcpy(&out[12], v4.data(), 4);
  return out;
}

std::optional<IpBytes> parse_ip(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, buf, v4.data()) == 1) return ipv4_mapped(v4);
  IpBytes v6{};
  if (inet_pton(AF_INET6, buf, v6.data()) == 1) return v6;
  return std::nullopt;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view ip_text = text.substr(0, slash);
  const auto ip = parse_ip(ip_text);
  if (!ip) return std::nullopt;
  const bool v4 = ip_text.find(':') == std::string_view::npos;
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

bool Cidr::contains(const IpBytes& addr) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::optional<CidrSet> CidrSet::parse(std::string_view text, std::string& error) {
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
  return CidrSet(std::move(out));
}

bool CidrSet::contains(const IpBytes& addr) const {
  for (const Cidr& c : ranges_)
    if (c.contains(addr)) return true;
  return false;
}

bool CidrSet::contains(std::string_view ip) const {
  const auto bytes = parse_ip(ip);
  return bytes && contains(*bytes);
}

}  // namespace kb::proxy::core
