#pragma once
// The session actor: one per WebSocket connection. Holds who the client is
// (after {"action":"auth"}), what it subscribed to, and writes pushes out as
// JSON frames. The orders channel needs a login; it follows the user's account
// actor, which pushes every order change and balance change.
#include <functional>
#include <memory>
#include <optional>

#include <caf/fwd.hpp>

#include "protocol/frames.hpp"
#include "protocol/types.hpp"

namespace broker {

using token_verifier = std::function<std::optional<user_id>(const std::string& token)>;

// Spawns the actor and returns the handler the connection feeds frames to.
std::shared_ptr<frame_handler> open_session(caf::actor_system& sys, caf::actor directory,
                                            std::shared_ptr<frame_sink> sink,
                                            token_verifier verify);

} // namespace broker
