#include "actors/gateway.hpp"
#include "actors/instrumented_behavior.hpp"

#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"

// Calls never leave the process; they carry callbacks, so they can't be serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<broker::gateway_call>)

namespace broker {

namespace {

struct gateway_state {
  const utc_clock* clock = nullptr;
  gateway_options opts;
  // Started calls, answered or not; answered ones are dropped by the next
  // sweep. Shared with the cleanup functor, which may outlive the state.
  using call_list = std::vector<std::shared_ptr<gateway_call>>;
  std::shared_ptr<call_list> pending = std::make_shared<call_list>();
  bool sweep_armed = false;
  static inline const char* name = "gateway";
};

using gateway_ptr = caf::stateful_actor<gateway_state>*;

void arm_sweep(gateway_ptr self) {
  auto& st = self->state;
  if (st.sweep_armed || st.pending->empty())
    return;
  st.sweep_armed = true;
  self->delayed_send(self, st.opts.sweep_every, sweep_atom::value);
}

void sweep(gateway_ptr self) {
  auto& st = self->state;
  st.sweep_armed = false;
  timestamp now = st.clock->now();
  gateway_state::call_list still_pending;
  for (auto& c : *st.pending) {
    if (c->settled)
      continue;
    if (c->deadline <= now) {
      c->settled = true;
      c->expire(false);
      continue;
    }
    still_pending.push_back(std::move(c));
  }
  *st.pending = std::move(still_pending);
  arm_sweep(self);
}

caf::behavior gateway_actor(gateway_ptr self, const utc_clock* clock, gateway_options opts) {
  self->state.clock = clock;
  self->state.opts = opts;
  self->attach_functor([pending = self->state.pending] {
    // Nobody is left to answer these: tell their callers now, not never.
    for (auto& c : *pending)
      if (c->settle())
        c->expire(true);
    pending->clear();
  });
  return instrumented(self, opts.census, actor_kind::gateway, "#" + std::to_string(self->id()), 0, {
    [=](call_atom, std::shared_ptr<gateway_call>& c) {
      self->state.pending->push_back(c);
      c->start(self);
      arm_sweep(self);
    },
    [=](sweep_atom) { sweep(self); },
  });
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, const utc_clock* clock, gateway_options opts) {
  return sys.spawn(gateway_actor, clock, opts);
}

void send_call(const caf::actor& gateway, std::shared_ptr<gateway_call> call) {
  caf::anon_send(gateway, call_atom::value, std::move(call));
}

} // namespace broker
