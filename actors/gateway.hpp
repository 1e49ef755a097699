#pragma once
// Gateways carry calls from threads outside CAF (the edge's I/O threads) into
// the actor system and their answers back. A gateway is a long-lived actor:
// a call costs one message to it, the request it sends, and the response.
// (It replaces a bridge actor spawned per call, each with its own request
// timer: spawning and one timer per call were most of a call's cost.)
//
// Overdue calls are answered by a sweep that runs while calls are pending,
// one timer per gateway, not one per call. Invariant: every call is answered
// exactly once (by its response, by the sweep, or when the gateway stops).
#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "protocol/clock.hpp"

namespace broker {

class gateway_call : public std::enable_shared_from_this<gateway_call> {
public:
  virtual ~gateway_call() = default;
  // Runs inside the gateway actor: sends the request(s) with `self` and
  // answers from their response handlers, through settle() first.
  virtual void start(caf::event_based_actor* self) = 0;
  // The callee took too long, or the gateway is stopping: answer with a refusal.
  virtual void expire(bool stopping) = 0;

  timestamp deadline = 0; // on the injected clock
  // True once answered; only the gateway actor reads or writes it.
  bool settled = false;
  // Marks the call answered; false if it already was (the answer is dropped).
  bool settle() {
    if (settled)
      return false;
    settled = true;
    return true;
  }
};

struct gateway_options {
  // How often pending calls are checked against their deadlines.
  std::chrono::milliseconds sweep_every{1000};
  std::shared_ptr<actor_census> census; // null: not enrolled
};

caf::actor spawn_gateway(caf::actor_system& sys, const utc_clock* clock, gateway_options opts);

// Thread-safe: may be called from any thread.
void send_call(const caf::actor& gateway, std::shared_ptr<gateway_call> call);

} // namespace broker
