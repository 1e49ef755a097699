#pragma once
// The operator desk: what the admin console changes or records goes through
// this one actor. It checks operators' passwords (argon2id, slow on purpose),
// appends to the audit log, and stores halts before they take effect, so a
// restarted node keeps a symbol halted and no action goes unrecorded. It
// calls the store itself and hashes, so it runs detached, off the workers.
//
// Speaks:
//   (login_atom, name, password) -> std::string name | invalid_credentials
//     (an unknown or disabled name costs the same hash check as a wrong password)
//   (audit_atom, audit_entry) -> int64_t id
//   (audit_atom, int64_t before_id, int64_t limit) -> std::vector<audit_entry>, newest first
//   (halt_atom, trading_halt) -> trading_halt  (stored, then in force)
//   (resume_atom, std::string symbol) -> bool  (false: it was not halted)
// A store failure answers storage_unavailable, and nothing took effect.
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/passwords.hpp"
#include "actors/trading_halts.hpp"
#include "storage/store.hpp"

namespace broker {

struct operator_desk_options {
  password_cost cost;   // of the dummy hash checked for unknown names
  bool detached = true; // false on the deterministic test scheduler
  std::shared_ptr<actor_census> census;
};

caf::actor spawn_operator_desk(caf::actor_system& sys, std::shared_ptr<store> db,
                               std::shared_ptr<trading_halts> halts, operator_desk_options opts);

} // namespace broker

// The desk's messages stay in the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(broker::audit_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<broker::audit_entry>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(broker::trading_halt)
