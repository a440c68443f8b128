#pragma once
// Hop-by-hop header detection (RFC 9110 7.6.1): Connection and every header it names, Keep-Alive,
// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate and
// Proxy-Authorization. One pass over the Connection values collects the named tokens; the caller
// then asks is_hop_by_hop() for each field while it serializes, so the header list is walked once.
#include <boost/beast/http/fields.hpp>
#include <boost/container/small_vector.hpp>
#include <string_view>

namespace kb::proxy::net {

class HopByHop {
 public:
  // Collects the tokens of every Connection header in `fields` (views into `fields`: keep it
  // alive). Fields: http::fields or ArenaFields (instantiated in hop_by_hop.cc).
  template <class Fields>
  explicit HopByHop(const Fields& fields);

  // True when the field must not be forwarded. Upgrade is reported as hop-by-hop too: the caller
  // re-adds it when it tunnels.
  bool is_hop_by_hop(boost::beast::http::field name, std::string_view name_string) const;

  // Connection named "upgrade" / "close" / "keep-alive".
  bool names_upgrade() const { return upgrade_; }
  bool names_close() const { return close_; }

 private:
  void add_tokens(std::string_view connection_value);
  boost::container::small_vector<std::string_view, 6> named_;
  bool upgrade_ = false;
  bool close_ = false;
};

// ASCII case-insensitive equality (header names and tokens).
bool iequals(std::string_view a, std::string_view b);

}  // namespace kb::proxy::net
