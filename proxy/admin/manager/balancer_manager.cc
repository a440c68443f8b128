#include "proxy/admin/manager/balancer_manager.h"

#include <charconv>
#include <random>

#include "proxy/admin/json_view.h"
#include "proxy/admin/json_writer.h"
#include "proxy/admin/manager/form.h"
#include "proxy/admin/manager/manager_view.h"

namespace kb::proxy::admin {
namespace {

std::string header(const AdminRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < k.size() && eq; ++i) eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (eq) return v;
  }
  return "";
}

std::string default_nonce() {
  std::random_device rd;
  std::string s;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) s += kHex[rd() & 15];
  return s;
}

uint32_t bit_of(char letter) {
  switch (letter) {
    case 'D': return core::kDisabled;
    case 'S': return core::kStopped;
    case 'I': return core::kIgnoreErrors;
    case 'H': return core::kHotStandby;
    case 'R': return core::kHotSpare;
    case 'N': return core::kDrain;
    default: return 0;
  }
}

AdminResponse refuse(int status, const std::string& why) { return AdminResponse::text(status, why + "\n"); }

}  // namespace

BalancerManager::BalancerManager(AccessPolicy policy, EditStore& edits, ManagerHooks hooks)
    : policy_(std::move(policy)), edits_(edits), hooks_(std::move(hooks)) {
  if (!hooks_.random_nonce) hooks_.random_nonce = default_nonce;
}

std::string BalancerManager::nonce(const std::string& balancer) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = nonces_.try_emplace(balancer);
  if (inserted) it->second = hooks_.random_nonce();
  return it->second;
}

AdminResponse BalancerManager::handle(const AdminRequest& request, const std::string& client_ip) {
  switch (policy_.check(client_ip, header(request, "Authorization"))) {
    case AccessPolicy::Verdict::kAddressRefused:
      return refuse(403, "balancer-manager: client address " + client_ip + " is not allowed");
    case AccessPolicy::Verdict::kTokenRefused: {
      auto r = refuse(401, "balancer-manager: a valid bearer token is required");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"balancer-manager\"");
      return r;
    }
    case AccessPolicy::Verdict::kAllowed: break;
  }
  const auto snapshot = hooks_.current ? hooks_.current() : nullptr;
  if (!snapshot) return refuse(503, "balancer-manager: no table loaded yet");
  if (request.method == "POST") return edit(request, *snapshot);
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = refuse(405, "balancer-manager: use GET to view and POST to edit");
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    return r;
  }
  return page(request, *snapshot, "");
}

AdminResponse BalancerManager::page(const AdminRequest& request, const core::Snapshot& snapshot,
                                    const std::string& message) {
  const auto query = parse_form(request.query).value_or(std::map<std::string, std::string>{});
  if (query.contains("xml")) {
    AdminResponse r = AdminResponse::text(200, manager_xml(snapshot));
    r.content_type = "text/xml; charset=utf-8";
    return r;
  }
  if (query.contains("json")) {
    JsonWriter w;
    w.begin_object().field("generation", snapshot.generation).key("balancers").begin_array();
    for (const auto& b : snapshot.balancers) write_balancer(w, *b, core::Clock::now());
    w.end_array().key("nonces").begin_object();
    for (const auto& b : snapshot.balancers) w.field(b->config().name, nonce(b->config().name));
    w.end_object().end_object();
    return AdminResponse::json(200, w.take());
  }
  AdminResponse r = AdminResponse::text(
      200, manager_html(snapshot, [this](const std::string& b) { return nonce(b); }, header(request, "Host"), message,
                        [this](const std::string& b, const std::string& m) { return edit_note(b, m); }));
  r.content_type = "text/html; charset=utf-8";
  return r;
}

std::string BalancerManager::edit_note(const std::string& balancer, const std::string& member) const {
  const auto entry = edits_.entry(balancer, member);
  if (!entry) return "";
  switch (entry->state) {
    case EditState::kPending:
      return "Edit pending: not yet saved to a BalancerCluster by a controller (until then it lives in this "
             "proxy's memory only).";
    case EditState::kSaved:
      return "Edit saved" + (entry->note.empty() ? std::string() : " to " + entry->note) +
             "; every replica's table carries it from there.";
    case EditState::kMemoryOnly:
      return "Edit kept in this proxy's memory only" + (entry->note.empty() ? std::string() : " (" + entry->note + ")") +
             ": other replicas do not have it, and it is lost when this proxy restarts.";
  }
  return "";
}

AdminResponse BalancerManager::edit(const AdminRequest& request, const core::Snapshot& snapshot) {
  const auto form = parse_form(request.body);
  if (!form) return refuse(400, "balancer-manager: the form body is not valid urlencoded data");
  auto get = [&](const char* k) -> const std::string* {
    const auto it = form->find(k);
    return it == form->end() ? nullptr : &it->second;
  };
  const std::string* b = get("b");
  const std::string* w = get("w");
  if (!b || !w) return refuse(400, "balancer-manager: an edit names a balancer (b) and a member (w)");
  const core::Balancer* balancer = nullptr;
  for (const auto& bp : snapshot.balancers)
    if (bp->config().name == *b) balancer = bp.get();
  if (!balancer) return refuse(404, "balancer-manager: no balancer '" + *b + "'");
  // Apache ignores an edit unless the nonce matches: it stops cross-site requests from a browser
  // that happens to have access.
  const std::string* n = get("nonce");
  if (!n || *n != nonce(*b)) return refuse(403, "balancer-manager: missing or stale nonce for balancer '" + *b + "'");
  const core::Member* member = nullptr;
  for (const core::Member& m : balancer->members())
    if (m.config->name == *w || m.config->url == *w) member = &m;
  if (!member) return refuse(404, "balancer-manager: no member '" + *w + "' in balancer '" + *b + "'");

  // Validate everything before changing anything: a bad field refuses the whole edit. The HTML form
  // posts every field, so each one is compared with the member's current value and only what
  // differs is recorded: an untouched "N: off" radio must not become an explicit -N that would
  // later cancel the termination drain.
  const core::MemberState& current = *member->state;
  MemberEdit e;
  if (const std::string* lf = get("w_lf"); lf && !lf->empty()) {
    double v = 0;
    const auto [p, ec] = std::from_chars(lf->data(), lf->data() + lf->size(), v);
    if (ec != std::errc() || p != lf->data() + lf->size() || !(v >= 1 && v <= 100))
      return refuse(400, "balancer-manager: w_lf must be a number between 1 and 100");
    if (static_cast<int32_t>(v * 100 + 0.5) != current.lbfactor.load(std::memory_order_relaxed)) e.loadfactor = v;
  }
  if (const std::string* ls = get("w_ls"); ls && !ls->empty()) {
    int v = -1;
    const auto [p, ec] = std::from_chars(ls->data(), ls->data() + ls->size(), v);
    if (ec != std::errc() || p != ls->data() + ls->size() || v < 0 || v > 99)
      return refuse(400, "balancer-manager: w_ls must be an integer between 0 and 99");
    if (v != current.lbset.load(std::memory_order_relaxed)) e.lbset = v;
  }
  if (const std::string* wr = get("w_wr")) {
    if (wr->size() > 63) return refuse(400, "balancer-manager: w_wr (route) must be at most 63 characters");
    for (const core::Member& m : balancer->members())
      if (&m != member && !wr->empty() && m.config->route == *wr)
        return refuse(400, "balancer-manager: route '" + *wr + "' belongs to another member");
    if (*wr != member->config->route) e.route = *wr;
  }
  if (const std::string* rr = get("w_rr")) {
    if (rr->size() > 63) return refuse(400, "balancer-manager: w_rr (redirect) must be at most 63 characters");
    if (*rr != member->config->redirect) e.redirect = *rr;
  }
  for (char letter : {'I', 'N', 'D', 'H', 'R', 'S'}) {
    const std::string key = std::string("w_status_") + letter;
    if (const std::string* v = get(key.c_str())) {
      if (*v != "0" && *v != "1") return refuse(400, "balancer-manager: " + key + " must be 0 or 1");
      if ((*v == "1") != current.has(bit_of(letter))) e.flags[letter] = *v == "1";
    }
  }

  core::MemberState& s = *member->state;
  for (const auto& [letter, on] : e.flags) on ? s.set(bit_of(letter)) : s.clear(bit_of(letter));
  if (e.lbset) s.lbset.store(*e.lbset, std::memory_order_relaxed);
  if (e.loadfactor) {
    s.lbfactor.store(static_cast<int32_t>(*e.loadfactor * 100 + 0.5), std::memory_order_relaxed);
    // Apache's recalc_factors: every member restarts its byrequests accounting from its factor.
    for (const core::Member& m : balancer->members())
      m.state->lbstatus.store(m.state->lbfactor.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  if (!e.empty()) {
    edits_.record(*b, member->config->name, e);
    if (hooks_.republish) hooks_.republish();
    if (hooks_.on_edit) hooks_.on_edit(*b, member->config->name, e);
  }
  const auto now_snapshot = hooks_.current ? hooks_.current() : nullptr;
  AdminResponse r = page(AdminRequest{}, now_snapshot ? *now_snapshot : snapshot,
                         "Edited member " + member->config->name + " of balancer " + *b);
  return r;
}

}  // namespace kb::proxy::admin
