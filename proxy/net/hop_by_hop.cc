#include "proxy/net/hop_by_hop.h"

#include "proxy/net/arena.h"

namespace kb::proxy::net {

namespace http = boost::beast::http;

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

template <class Fields>
HopByHop::HopByHop(const Fields& fields) {
  for (const auto& f : fields) {
    if (f.name() == http::field::connection) add_tokens(f.value());
  }
}

template HopByHop::HopByHop(const http::fields&);
template HopByHop::HopByHop(const ArenaFields&);

void HopByHop::add_tokens(std::string_view value) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view token = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    if (token.empty()) continue;
    if (iequals(token, "upgrade")) {
      upgrade_ = true;
    } else if (iequals(token, "close")) {
      close_ = true;
    } else if (!iequals(token, "keep-alive")) {
      named_.push_back(token);
    }
  }
}

bool HopByHop::is_hop_by_hop(http::field name, std::string_view name_string) const {
  switch (name) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::upgrade:
    case http::field::proxy_authenticate:
    case http::field::proxy_authorization:
      return true;
    default:
      break;
  }
  for (std::string_view token : named_) {
    if (iequals(token, name_string)) return true;
  }
  return false;
}

}  // namespace kb::proxy::net
