#include "actors/exchange_connector.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct connector_state {
  std::string link; // what kind of link this is, for the operator
  caf::actor directory;
  // Reports go straight to the account once its handle is known: one hop
  // fewer per report than through the directory. Invariant (a user's reports
  // reach the account in the order the exchange sent them): while a user's
  // handle is being looked up, their reports wait in `looking_up`, and are
  // sent, in order, before any later one.
  std::unordered_map<user_id, caf::actor> accounts;
  std::unordered_map<user_id, std::vector<execution_report>> looking_up;
  caf::actor exchange;
  std::vector<caf::message> waiting; // sent before the exchange attached
  std::shared_ptr<const symbol_actors> symbols;
  static inline const char* name = "exchange_connector";
};

using connector_ptr = caf::stateful_actor<connector_state>*;

void route_report(connector_ptr self, const execution_report& r) {
  auto& st = self->state;
  if (auto it = st.accounts.find(r.account); it != st.accounts.end()) {
    self->send(it->second, r);
    return;
  }
  if (auto it = st.looking_up.find(r.account); it != st.looking_up.end()) {
    it->second.push_back(r);
    return;
  }
  st.looking_up[r.account].push_back(r);
  user_id user = r.account;
  auto release = [=](const caf::actor* account) {
    auto& waiting = self->state.looking_up;
    auto it = waiting.find(user);
    if (account)
      for (auto& queued : it->second)
        self->send(*account, queued);
    // else: no such account (it died, or the user is unknown): the reports
    // are dropped, as the directory would; reconciliation at the next start
    // repairs the books from the exchange.
    waiting.erase(it);
  };
  self->request(st.directory, caf::infinite, account_atom::value, user)
    .then(
      [=](caf::actor& account) {
        self->monitor(account);
        self->state.accounts.emplace(user, account);
        release(&account);
      },
      [=](caf::error&) { release(nullptr); });
}

} // namespace

caf::behavior exchange_connector(connector_ptr self, std::string link,
                                 std::shared_ptr<const symbol_actors> symbols) {
  self->state.link = std::move(link);
  self->state.symbols = std::move(symbols);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.exchange.address()) {
      st.exchange = nullptr; // orders wait until it is attached again
      return;
    }
    for (auto it = st.accounts.begin(); it != st.accounts.end(); ++it)
      if (it->second.address() == dm.source) {
        st.accounts.erase(it); // the next report asks the directory again
        return;
      }
  });
  auto forward = [=](caf::message msg) {
    if (self->state.exchange)
      self->send(self->state.exchange, std::move(msg));
    else
      self->state.waiting.push_back(std::move(msg));
  };
  return {
    // Where accounts are found (the directory is spawned after the connector).
    [=](account_atom, caf::actor directory) { self->state.directory = std::move(directory); },
    // The exchange link is up; `working` are the broker's non-final orders to reconcile.
    [=](attach_atom, caf::actor exchange, std::vector<order> working) {
      auto& st = self->state;
      st.exchange = exchange;
      self->monitor(exchange);
      self->send(exchange, reconcile_atom::value, std::move(working));
      for (auto& w : st.waiting)
        self->send(exchange, std::move(w));
      st.waiting.clear();
    },
    [=](new_order_atom, const order& o) {
      forward(caf::make_message(new_order_atom::value, o));
    },
    [=](cancel_order_atom, order_id id, const std::string& symbol, user_id account) {
      forward(caf::make_message(cancel_order_atom::value, id, symbol, account));
    },
    [=](const execution_report& r) { route_report(self, r); },
    [=](ticks_atom, std::vector<tick>& ticks) {
      // One message per symbol per batch, never one per tick.
      std::map<std::string, std::vector<tick>> by_symbol;
      for (auto& t : ticks)
        by_symbol[t.symbol].push_back(std::move(t));
      for (auto& [symbol, batch] : by_symbol) {
        auto it = self->state.symbols->find(symbol);
        if (it != self->state.symbols->end())
          self->send(it->second, ticks_atom::value, std::move(batch));
      }
    },
  };
}

caf::actor spawn_exchange_connector(caf::actor_system& sys, std::string link,
                                    std::shared_ptr<const symbol_actors> symbols) {
  return sys.spawn(exchange_connector, std::move(link), std::move(symbols));
}

} // namespace broker
