#pragma once
// The users actor: the registry of identities. Owns the email -> user index,
// so an email can be taken once; hashes and checks passwords with libsodium's
// argon2id. Runs detached: a password hash takes tens of milliseconds by
// design and must not stall the scheduler's workers.
#include <vector>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/passwords.hpp"
#include "protocol/clock.hpp"
#include "protocol/types.hpp"

namespace broker {

struct users_options {
  password_cost cost;
  bool detached = true; // false on the deterministic test scheduler
  std::shared_ptr<actor_census> census; // null: not enrolled
};

caf::actor spawn_users(caf::actor_system& sys, std::vector<user_profile> existing,
                       caf::actor persistence, caf::actor directory, const utc_clock* clock,
                       users_options opts);

} // namespace broker
