#pragma once
// The conflation beat for sessions. Once per conflation interval it tells
// every session that follows symbols to send what changed since its last
// frame (drain_atom); the session reads the latest quotes (latest_quotes.hpp)
// and writes one frame. Each session has its own tenth of the interval, so a
// beat is never one burst of every session's frame. So a client gets each symbol at most once per
// interval, always its latest values, and the cost per interval is one
// message per session, however many symbols it follows or ticks arrived.
//
// A node runs a few of these (sessions are spread over them), so the beat's
// sends are shared by the scheduler's workers.
//
// Speaks: (watch_atom, session) / (unwatch_atom, session); a session that
// ends is dropped (monitored).
#include <chrono>

#include <caf/fwd.hpp>

#include "actors/census.hpp"

namespace broker {

caf::actor spawn_quote_fanout(caf::actor_system& sys, std::chrono::milliseconds interval,
                              std::shared_ptr<actor_census> census = nullptr);

} // namespace broker
