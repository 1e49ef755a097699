#include "actors/quote_fanout.hpp"

#include <algorithm>
#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct fanout_state {
  std::chrono::milliseconds interval{100};
  std::set<caf::actor> sessions;
  bool beat_armed = false;
  static inline const char* name = "quote_fanout";
};

using fanout_ptr = caf::stateful_actor<fanout_state>*;

void arm_beat(fanout_ptr self) {
  auto& st = self->state;
  if (st.beat_armed || st.sessions.empty())
    return;
  st.beat_armed = true;
  // On the interval's grid of the actor clock, not `interval` from now: every
  // fanout beats at the same moments, so quotes leave the node together.
  auto interval = std::chrono::duration_cast<caf::actor_clock::duration_type>(
    std::max(st.interval, std::chrono::milliseconds{1}));
  auto into = self->clock().now().time_since_epoch() % interval;
  self->delayed_send(self, interval - into, conflate_atom::value);
}

caf::behavior quote_fanout(fanout_ptr self, std::chrono::milliseconds interval) {
  self->state.interval = interval;
  self->set_down_handler([=](const caf::down_msg& dm) {
    self->state.sessions.erase(caf::actor_cast<caf::actor>(dm.source));
  });
  return {
    [=](watch_atom, const caf::actor& session) {
      if (self->state.sessions.insert(session).second)
        self->monitor(session);
      arm_beat(self);
    },
    [=](unwatch_atom, const caf::actor& session) {
      if (self->state.sessions.erase(session) > 0)
        self->demonitor(session);
    },
    [=](conflate_atom) {
      auto& st = self->state;
      st.beat_armed = false;
      for (auto& s : st.sessions)
        self->send(s, drain_atom::value);
      arm_beat(self);
    },
  };
}

} // namespace

caf::actor spawn_quote_fanout(caf::actor_system& sys, std::chrono::milliseconds interval) {
  return sys.spawn(quote_fanout, interval);
}

} // namespace broker
