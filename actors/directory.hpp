#pragma once
// The directory: finds a user's account actor, spawning it on first use from
// what the store loaded at start (or from a new signup). Routes KYC verdicts
// and fired alerts to the account they belong to.
#include <map>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/account_book.hpp"
#include "actors/account_env.hpp"

namespace broker {

caf::actor spawn_directory(caf::actor_system& sys, std::map<user_id, account_seed> seeds,
                           std::shared_ptr<const account_env> env);

// Splits a store snapshot into one seed per user.
std::map<user_id, account_seed> seeds_from(store_snapshot snap);

} // namespace broker
