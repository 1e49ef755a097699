#pragma once
// The account actor: one per user, the only writer of that user's cash, holds,
// holdings and orders. See account_book.hpp for the invariants it keeps.
#include <memory>

#include <caf/fwd.hpp>

#include "actors/account_book.hpp"
#include "actors/account_env.hpp"

namespace broker {

// Linked to `parent` (the directory): when the node stops, its accounts stop with it.
caf::actor spawn_account(caf::local_actor* parent, account_seed seed,
                         std::shared_ptr<const account_env> env);

} // namespace broker
