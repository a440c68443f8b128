#pragma once
// Balancer-manager edits, kept apart from the table so they survive reloads for members that
// remain (Apache's BalancerPersist): after every load the app applies them to the table before it
// builds the snapshot. Keyed by (balancer name, member name); an edit for a member the new table
// no longer has is dropped. Control plane only (the admin thread and the table watcher).
//
// With a controller the resource is the truth, and an edit here is only on its way there: each
// edit carries a sequence number; the controller saves it to the BalancerCluster's
// spec.memberOverrides and acknowledges that sequence (acknowledge()). A saved edit is applied
// only until a loaded table carries it (or kSavedGrace has passed), then dropped, so a later
// `kubectl edit` of the overrides is never reverted by a copy kept here. An edit of a balancer
// that has no BalancerCluster (Service annotations only) is acknowledged as memory-only: it stays
// here, in this proxy, until the member leaves the table or the proxy restarts.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/table.h"

namespace kb::proxy::admin {

struct MemberEdit {
  std::optional<double> loadfactor;
  std::optional<int> lbset;
  std::optional<std::string> route;
  std::optional<std::string> redirect;
  // Flags the manager set (true) or cleared (false): D, N, H, S, I (and R, C as Apache allows).
  std::map<char, bool> flags;
  bool empty() const { return !loadfactor && !lbset && !route && !redirect && flags.empty(); }
};

// Where an edit stands on its way to the resource.
enum class EditState {
  kPending,     // recorded here; no controller has saved it yet
  kSaved,       // in the BalancerCluster; applied here only until the table carries it
  kMemoryOnly,  // no resource can hold it (no BalancerCluster): lives in this proxy only
};
const char* to_string(EditState state);
std::optional<EditState> parse_edit_state(std::string_view text);

struct EditEntry {
  MemberEdit edit;
  uint64_t seq = 0;  // bumped by every record(): an acknowledgement names the version it saved
  EditState state = EditState::kPending;
  std::string note;  // from the acknowledgement: where it was saved, or why it could not be
  std::chrono::steady_clock::time_point saved_at{};
};

class EditStore {
 public:
  // How long a saved edit is still applied while no loaded table carries it: the controller's
  // table normally follows within a second; after this the resource (changed meanwhile) wins.
  static constexpr std::chrono::seconds kSavedGrace{10};

  void record(const std::string& balancer, const std::string& member, const MemberEdit& edit);
  // Applies every edit to `table`, forgets the ones whose member is gone and the saved ones the
  // table now carries (or whose grace has passed).
  void apply(config::Table& table, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // The controller saved (or could not save) version `seq` of an edit. False when the edit is gone
  // or was changed since (a newer version is pending and will be saved on its own).
  bool acknowledge(const std::string& balancer, const std::string& member, uint64_t seq, EditState state,
                   const std::string& note, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  std::optional<MemberEdit> find(const std::string& balancer, const std::string& member) const;
  std::optional<EditEntry> entry(const std::string& balancer, const std::string& member) const;
  std::vector<std::pair<std::pair<std::string, std::string>, EditEntry>> all() const;

 private:
  mutable std::mutex mutex_;
  uint64_t next_seq_ = 1;
  std::map<std::pair<std::string, std::string>, EditEntry> edits_;
};

// GET /api/edits (docs/admin-api.md): every recorded edit, for the controller to save in the
// BalancerCluster: {"edits":[{"balancer":"b","member":"m","seq":3,"state":"pending",
// "loadfactor":2,"lbset":1,"route":"r","redirect":"x","flags":{"D":true,"N":false},"note":"..."}]};
// fields not edited are absent, "note" only once acknowledged.
std::string edits_json(const EditStore& store);

// POST /api/edits/ack, form-encoded: balancer=B&member=M&seq=N&state=saved|memory-only&note=TEXT.
// 200 {"acknowledged":true|false}; 400 naming the bad field.
struct EditAck {
  std::string balancer;
  std::string member;
  uint64_t seq = 0;
  EditState state = EditState::kSaved;
  std::string note;
};
std::optional<EditAck> parse_edit_ack(const std::string& body, std::string& error);

// Sets or clears one Apache flag letter on a config::StatusFlags; false for an unknown letter.
bool set_flag(config::StatusFlags& flags, char letter, bool on);

}  // namespace kb::proxy::admin
