#pragma once
// The balancer-manager's read views of one snapshot: an HTML page like Apache's, and Apache's XML
// (`?xml=1`: <httpd:manager>...). Pure formatting; the JSON view is /api/balancers (json_view.h).
#include <functional>
#include <memory>
#include <string>

#include "proxy/core/snapshot.h"

namespace kb::proxy::admin {

// Apache's status words for a member, e.g. "Init Ok", "Init Drn Ok", "Init Err", "Init Dis HcFl".
std::string apache_status_text(uint32_t flags);

using NonceOf = std::function<std::string(const std::string& balancer)>;
// Where a member's balancer-manager edit stands ("" = no edit): shown under its edit form, so an
// edit that lives only in this proxy's memory is never silently lost.
using EditNoteOf = std::function<std::string(const std::string& balancer, const std::string& member)>;

std::string manager_html(const core::Snapshot& snapshot, const NonceOf& nonce, const std::string& host,
                         const std::string& message, const EditNoteOf& edit_note = {});
std::string manager_xml(const core::Snapshot& snapshot);

}  // namespace kb::proxy::admin
