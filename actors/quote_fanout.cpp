#include "actors/quote_fanout.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

// The interval is cut into this many slots, and each session is drained in
// one of them. Draining every session at the same instant made each beat a
// burst (2,500 frames at once through the workers, the I/O threads and the
// client), so the last frame of a burst left tens of ms after the first.
constexpr int slots_per_interval = 10;

struct fanout_state {
  std::chrono::milliseconds interval{100};
  // Sessions by slot; a session's slot never changes while it is watched.
  std::vector<std::set<caf::actor>> slots = std::vector<std::set<caf::actor>>(slots_per_interval);
  bool beat_armed = false;
  int armed_slot = 0; // the slot the armed beat starts
  static inline const char* name = "quote_fanout";
};

using fanout_ptr = caf::stateful_actor<fanout_state>*;

caf::actor_clock::duration_type slot_length(const fanout_state& st) {
  auto interval = std::chrono::duration_cast<caf::actor_clock::duration_type>(
    std::max(st.interval, std::chrono::milliseconds{1}));
  return std::max(interval / slots_per_interval, caf::actor_clock::duration_type{1});
}

// Which slot the clock is in: slots follow a grid on the actor clock, the
// same for every fanout, so slot k of every fanout beats at the same moment.
int slot_at(fanout_ptr self) {
  auto len = slot_length(self->state);
  return static_cast<int>((self->clock().now().time_since_epoch() / len) % slots_per_interval);
}

void arm_beat(fanout_ptr self) {
  auto& st = self->state;
  bool anyone = std::any_of(st.slots.begin(), st.slots.end(), [](auto& slot) { return !slot.empty(); });
  if (st.beat_armed || !anyone)
    return;
  st.beat_armed = true;
  // To the start of the next slot on the grid, not one slot from now.
  auto len = slot_length(st);
  auto into = self->clock().now().time_since_epoch() % len;
  st.armed_slot = (slot_at(self) + 1) % slots_per_interval;
  self->delayed_send(self, len - into, conflate_atom::value);
}

// The least used slot: new sessions spread evenly over the interval.
int emptiest_slot(const fanout_state& st) {
  int best = 0;
  for (int i = 1; i < slots_per_interval; ++i)
    if (st.slots[i].size() < st.slots[best].size())
      best = i;
  return best;
}

bool watching(const fanout_state& st, const caf::actor& session) {
  for (auto& slot : st.slots)
    if (slot.count(session))
      return true;
  return false;
}

// False if the session was not watched.
bool forget(fanout_state& st, const caf::actor& session) {
  for (auto& slot : st.slots)
    if (slot.erase(session) > 0)
      return true;
  return false;
}

caf::behavior quote_fanout(fanout_ptr self, std::chrono::milliseconds interval,
                           std::shared_ptr<actor_census> census) {
  self->state.interval = interval;
  self->set_down_handler([=](const caf::down_msg& dm) {
    forget(self->state, caf::actor_cast<caf::actor>(dm.source));
  });
  return instrumented(self, census, actor_kind::quote_fanout, "#" + std::to_string(self->id()), 0, {
    [=](watch_atom, const caf::actor& session) {
      auto& st = self->state;
      if (!watching(st, session)) {
        st.slots[emptiest_slot(st)].insert(session);
        self->monitor(session);
      }
      arm_beat(self);
    },
    [=](unwatch_atom, const caf::actor& session) {
      if (forget(self->state, session))
        self->demonitor(session);
    },
    [=](conflate_atom) {
      auto& st = self->state;
      st.beat_armed = false;
      // The slot the beat was armed for, and any the clock has passed since
      // (a late timer skips no session).
      int now_slot = slot_at(self);
      for (int slot = st.armed_slot, n = 0; n < slots_per_interval; ++n) {
        for (auto& s : st.slots[slot])
          self->send(s, drain_atom::value);
        if (slot == now_slot)
          break;
        slot = (slot + 1) % slots_per_interval;
      }
      arm_beat(self);
    },
  });
}

} // namespace

caf::actor spawn_quote_fanout(caf::actor_system& sys, std::chrono::milliseconds interval,
                              std::shared_ptr<actor_census> census) {
  return sys.spawn(quote_fanout, interval, std::move(census));
}

} // namespace broker
