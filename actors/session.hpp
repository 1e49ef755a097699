#pragma once
// The session actor: one per WebSocket connection. Holds who the client is
// (after {"action":"auth"}), what it subscribed to, and writes pushes out as
// JSON frames. The orders channel needs a login; it follows the user's account
// actor, which pushes every order change and balance change. Price streams
// ({"action":"subscribe","symbols":[...],"mode":...}) are public; they follow
// symbol actors.
//
// Quotes are not sent to the session: once per conflation interval a
// quote_fanout wakes it, and it reads the latest quote of each symbol it
// follows from the node's latest_quotes, writing those that changed since its
// last frame, several symbols per frame. A client that reads slowly therefore
// gets fewer, fresher quotes and its session holds no backlog at all (it
// remembers one version number per symbol). While the socket's queue is long
// nothing is written; a client whose queue stays full for slow_client_timeout
// is closed (1013, "client too slow").
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/connection_count.hpp"
#include "actors/latest_quotes.hpp"
#include "actors/symbol.hpp"
#include "protocol/frames.hpp"
#include "protocol/types.hpp"

namespace broker {

using token_verifier = std::function<std::optional<user_id>(const std::string& token)>;

struct session_options {
  size_t max_symbols = 3000;        // symbols one connection may follow
  size_t max_connections_per_user = 10; // signed-in connections one user may hold
  size_t quotes_per_frame = 100;    // a frame of quotes carries at most this many symbols
  size_t max_queued_frames = 8;     // no quotes are written while the socket queue is longer
  std::chrono::milliseconds slow_client_timeout{10'000};
};

// What a session uses of its node; shared by every session.
struct session_services {
  caf::actor directory;                        // finds the user's account (orders, alerts)
  std::shared_ptr<const latest_quotes> quotes; // read on every beat
  caf::actor fanout;                           // the beat (quote_fanout.hpp)
  std::shared_ptr<connection_count> connections; // signed-in connections per user
  std::shared_ptr<market_counters> counters;   // null: not counted
  std::shared_ptr<actor_census> census;        // null: not enrolled
};

// Spawns the actor and returns the handler the connection feeds frames to.
std::shared_ptr<frame_handler> open_session(caf::actor_system& sys, session_services services,
                                            session_options opts,
                                            std::shared_ptr<frame_sink> sink,
                                            token_verifier verify);

} // namespace broker
