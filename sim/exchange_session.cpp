#include "sim/exchange_session.hpp"

#include <optional>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker::sim {

namespace {

using release_atom = caf::atom_constant<caf::atom("release")>; // a held report's time is up

struct session_state {
  caf::actor exchange;
  caf::actor connector; // who reconciled last: the exchange's reports go there
  std::shared_ptr<session_faults> faults;
  std::optional<execution_report> held; // reordered: goes out after the next report
  uint64_t held_serial = 0;
  static inline const char* name = "exchange_session";
};

using session_ptr = caf::stateful_actor<session_state>*;

bool draw(session_faults& f, uint32_t per_million) { return per_million > 0 && f.rng() % 1'000'000 < per_million; }

void deliver(session_ptr self, const execution_report& r) {
  if (self->state.connector)
    self->send(self->state.connector, r);
}

void pass_on(session_ptr self, const execution_report& r) {
  auto& st = self->state;
  auto& f = *st.faults;
  if (st.held) { // the held one overtaken: out of order
    deliver(self, r);
    deliver(self, *st.held);
    st.held.reset();
    return;
  }
  if (draw(f, f.reorder_per_million)) {
    ++f.reordered;
    st.held = r;
    self->delayed_send(self, f.hold_for, release_atom::value, ++st.held_serial);
    return;
  }
  if (draw(f, f.delay_per_million)) {
    ++f.delayed;
    auto late = std::chrono::milliseconds{1 + static_cast<int64_t>(f.rng() % static_cast<uint64_t>(f.max_delay.count()))};
    if (st.connector)
      self->delayed_send(st.connector, late, r);
    return;
  }
  deliver(self, r);
  if (draw(f, f.duplicate_per_million)) {
    ++f.duplicated;
    deliver(self, r);
  }
}

caf::behavior exchange_session(session_ptr self, caf::actor exchange, std::shared_ptr<session_faults> faults) {
  self->state.exchange = exchange;
  self->state.faults = std::move(faults);
  // Not linked: a dropped session must not take the exchange with it. The
  // other way round, the session ends and the connector opens another.
  self->monitor(exchange);
  self->set_down_handler([=](const caf::down_msg& dm) { self->quit(dm.reason); });
  return {
    [=](reconcile_atom, std::vector<order>& working) -> caf::result<caf::ok_atom> {
      self->state.connector = caf::actor_cast<caf::actor>(self->current_sender());
      auto rp = self->make_response_promise<caf::ok_atom>();
      // Asked as ourselves, so the exchange's reports come through us.
      self->request(self->state.exchange, caf::infinite, reconcile_atom::value, std::move(working))
        .then([=](caf::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
              [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
    [=](new_order_atom, const order& o) {
      if (!self->state.connector)
        self->state.connector = caf::actor_cast<caf::actor>(self->current_sender());
      self->send(self->state.exchange, new_order_atom::value, o);
    },
    [=](cancel_order_atom, order_id id, const std::string& symbol, user_id account) {
      self->send(self->state.exchange, cancel_order_atom::value, id, symbol, account);
    },
    [=](order_status_atom, const order& o) { self->send(self->state.exchange, order_status_atom::value, o); },
    [=](const execution_report& r) { pass_on(self, r); },
    [=](ticks_atom, std::vector<tick>& ticks) {
      if (self->state.connector)
        self->send(self->state.connector, ticks_atom::value, std::move(ticks));
    },
    [=](release_atom, uint64_t serial) {
      auto& st = self->state;
      if (st.held && serial == st.held_serial) {
        deliver(self, *st.held);
        st.held.reset();
      }
    },
  };
}

} // namespace

caf::actor spawn_exchange_session(caf::actor_system& sys, caf::actor exchange,
                                  std::shared_ptr<session_faults> faults) {
  return sys.spawn(exchange_session, std::move(exchange), std::move(faults));
}

} // namespace broker::sim
