#include "proxy/core/forwarded.h"

#include <cctype>

namespace kb::proxy::core {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view canonical(std::string_view scheme) {
  if (scheme == "https") return "https";  // the connection's own scheme: no case folding
  if (scheme == "http") return "http";
  if (iequal(scheme, "https")) return "https";
  if (iequal(scheme, "http")) return "http";
  return {};
}

}  // namespace

ForwardedDecision decide_forwarded(bool peer_trusted, std::string_view incoming_proto,
                                   std::string_view connection_scheme) {
  ForwardedDecision d;
  d.keep_incoming_for = peer_trusted;
  const std::string_view own = canonical(connection_scheme).empty() ? std::string_view("http") : canonical(connection_scheme);
  d.proto = own;
  if (peer_trusted && !incoming_proto.empty()) {
    // A chain of proxies may send "https, http": the first is what the client used.
    const std::string_view first = trim(incoming_proto.substr(0, incoming_proto.find(',')));
    if (const std::string_view c = canonical(first); !c.empty()) d.proto = c;
  }
  return d;
}

}  // namespace kb::proxy::core
