#pragma once
// The session actor: one per WebSocket connection. Holds who the client is
// (after {"action":"auth"}), what it subscribed to, and writes pushes out as
// JSON frames. The orders channel needs a login; it follows the user's account
// actor, which pushes every order change and balance change. Price streams
// ({"action":"subscribe","symbols":[...],"mode":...}) are public; they follow
// symbol actors.
//
// Quotes wait in a map holding at most one quote per symbol, the latest: a
// client that reads slowly gets fewer, fresher quotes, never a backlog. They
// go out batched, several symbols per frame, while the socket's queue is
// short; a client whose queue stays full for slow_client_timeout is closed
// (1013, "client too slow").
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <caf/fwd.hpp>

#include "actors/connection_count.hpp"
#include "actors/symbol.hpp"
#include "protocol/frames.hpp"
#include "protocol/types.hpp"

namespace broker {

using token_verifier = std::function<std::optional<user_id>(const std::string& token)>;

struct session_options {
  size_t max_symbols = 3000;        // symbols one connection may follow
  size_t max_connections_per_user = 10; // signed-in connections one user may hold
  size_t quotes_per_frame = 100;    // a frame of quotes carries at most this many symbols
  size_t max_queued_frames = 8;     // quotes wait (conflating) while the socket queue is longer
  std::chrono::milliseconds retry_every{50};
  std::chrono::milliseconds slow_client_timeout{10'000};
};

// Spawns the actor and returns the handler the connection feeds frames to.
// `connections` is shared by every session of the node (see connection_count.hpp).
std::shared_ptr<frame_handler> open_session(caf::actor_system& sys, caf::actor directory,
                                            std::shared_ptr<const symbol_actors> symbols,
                                            std::shared_ptr<connection_count> connections,
                                            session_options opts,
                                            std::shared_ptr<frame_sink> sink,
                                            token_verifier verify);

} // namespace broker
