#pragma once
// The users actor: the registry of identities. Owns the email -> user index,
// so an email can be taken once; hashes and checks passwords with libsodium's
// argon2id. Runs detached: a password hash takes tens of milliseconds by
// design and must not stall the scheduler's workers.
#include <vector>

#include <caf/fwd.hpp>

#include "protocol/clock.hpp"
#include "protocol/types.hpp"

namespace broker {

struct password_cost {
  unsigned long long opslimit = 2;            // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 64ull * 1024 * 1024;      // crypto_pwhash_MEMLIMIT_INTERACTIVE
  static password_cost minimum();             // for tests: libsodium's floor
};

struct users_options {
  password_cost cost;
  bool detached = true; // false on the deterministic test scheduler
};

caf::actor spawn_users(caf::actor_system& sys, std::vector<user_profile> existing,
                       caf::actor persistence, caf::actor directory, const utc_clock* clock,
                       users_options opts);

} // namespace broker
