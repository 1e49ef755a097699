#pragma once
// The persistence actor: the store's only writer. Runs on its own thread
// (caf::detached) because a commit blocks.
//
// Group commit: every (commit_atom, batch) is appended to the open batch and a
// flush is queued behind whatever is already in the mailbox, so all commits
// that arrive while one transaction runs go into the next one together. A
// requester is answered ok_atom only after the transaction holding its rows
// has committed, or with an error if it failed (nothing of it was written).
#include <memory>

#include <caf/fwd.hpp>

#include "storage/store.hpp"

namespace broker {

struct persistence_options {
  size_t max_batch_rows = 4096; // flush early once a batch holds this many rows
  // Own thread in production. Tests on the deterministic scheduler turn it off:
  // CAF gives a detached actor a real thread even there.
  bool detached = true;
};

caf::actor spawn_persistence(caf::actor_system& sys, std::shared_ptr<store> db,
                             persistence_options opts);

} // namespace broker
