#pragma once
// The census's view into an actor (actors/census.hpp). instrumented() enrolls
// the actor and wraps its behavior so that every message the behavior handles
// is counted and timed into its gauge, and so that it answers the console's
// (stats_atom) with its mailbox depth. The console sends that request at high
// priority: it jumps a backlog, so a swamped actor still says how swamped.
//
// Cost per message: two reads of the census clock and three relaxed stores.
// Messages the behavior does not match (the default handler's) and responses
// to the actor's own requests are not counted.
#include <cstdint>
#include <memory>
#include <string>

#include <caf/behavior.hpp>
#include <caf/fwd.hpp>

#include "actors/census.hpp"

namespace broker {

// Answers `b` itself when census is null (tests that have none).
caf::behavior instrumented(caf::scheduled_actor* self, const std::shared_ptr<actor_census>& census,
                         actor_kind kind, std::string key, uint64_t parent, caf::behavior b);

} // namespace broker
