#include "actors/exchange_connector.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/views.hpp"

namespace broker {

namespace {

using check_stuck_atom = caf::atom_constant<caf::atom("stuck")>;

struct connector_state {
  connector_options opts;
  caf::actor directory;
  // Reports go straight to the account once its handle is known: one hop
  // fewer per report than through the directory. Invariant (a user's reports
  // reach the account in the order the exchange sent them): while a user's
  // handle is being looked up, their reports wait in `looking_up`, and are
  // sent, in order, before any later one.
  std::unordered_map<user_id, caf::actor> accounts;
  std::unordered_map<user_id, std::vector<execution_report>> looking_up;
  caf::actor exchange;
  std::vector<caf::message> waiting; // new orders accepted while no link was up
  // Orders not known to be final, by id; `on_link` when sent on the current
  // link (a queued one is not: reconciling it before it is sent would cancel it).
  // Only what a reconcile needs (a FIX order status request: the client order
  // id, account, symbol, side; how much it was for and has filled; whether
  // the exchange ever acknowledged it), not the whole order.
  struct tracked {
    user_id user = 0;
    std::string symbol;
    broker::side side = side::buy;
    int64_t quantity = 0;
    int64_t filled = 0;
    bool acknowledged = false;
    bool on_link = false;
    bool cancel_requested = false; // sent again on every new link until final
    // When it was last sent, asked about, or asked to cancel: a PENDING or
    // PENDING_CANCEL order this old is asked about again.
    caf::actor_clock::time_point since{};
  };
  std::map<order_id, tracked> working; // a map: no rehash stall as it grows
  // Up once the link has answered the reconcile, down when it dies: what
  // accounts read before placing an order (exchange_unavailable while down).
  std::shared_ptr<exchange_link_status> status;
  std::chrono::milliseconds backoff{min_backoff};
  std::mt19937_64 jitter{0x6a17}; // seeded: a simulation run replays its back-offs
  caf::actor_clock::time_point attached_at;
  static constexpr std::chrono::milliseconds min_backoff{100};
  static constexpr std::chrono::milliseconds max_backoff{5000};
  static constexpr std::chrono::seconds stable_after{30};
  std::shared_ptr<const symbol_actors> symbols;
  static inline const char* name = "exchange_connector";
};

using connector_ptr = caf::stateful_actor<connector_state>*;

// A tracked order as the exchange link is asked about it.
order as_order(order_id id, const connector_state::tracked& t, order_status status) {
  order o;
  o.id = id;
  o.user = t.user;
  o.symbol = t.symbol;
  o.side = t.side;
  o.quantity = t.quantity;
  o.filled_quantity = t.filled;
  o.status = status;
  return o;
}

// Quotes stopped or flow again: the board marks the quotes stale meanwhile.
void set_market_data(connector_ptr self, bool flowing) {
  auto& st = self->state;
  if (st.status->market_data.exchange(flowing) == flowing)
    return;
  std::fprintf(stderr, "exchange_connector: the exchange's market data %s\n",
               flowing ? "flows" : "stopped: quotes are stale");
  if (st.opts.on_market_data)
    st.opts.on_market_data(flowing);
}

// Keeps `working` up to date from a report: a final one ends the tracking.
void track(connector_ptr self, const execution_report& r) {
  auto& working = self->state.working;
  auto it = working.find(r.client_order_id);
  if (it == working.end())
    return;
  it->second.filled = r.cum_quantity;
  if (r.kind == exec_kind::accepted || r.kind == exec_kind::trade)
    it->second.acknowledged = true;
  bool final = r.kind == exec_kind::cancelled || r.kind == exec_kind::rejected
               || r.kind == exec_kind::expired
               || (r.kind == exec_kind::trade && r.leaves_quantity == 0);
  if (final)
    working.erase(it);
}

// Attaches `exchange`: reconciles the orders sent on the previous link (all
// of `working` that is on_link); once the link has answered, it is up and
// what waited (cancels, and orders accepted just before the last link went
// down) goes out, in order.
void attach(connector_ptr self, caf::actor exchange) {
  auto& st = self->state;
  st.exchange = exchange;
  st.attached_at = self->clock().now();
  self->monitor(exchange);
  if (st.opts.link_reports_market_data)
    set_market_data(self, false); // until its first refresh
  std::vector<order> sent; // in id order: `working` is a map
  for (auto& [id, t] : st.working)
    if (t.on_link)
      sent.push_back(as_order(id, t, t.acknowledged ? order_status::open : order_status::pending));
  self->request(exchange, caf::infinite, reconcile_atom::value, std::move(sent))
    .then(
      [=](caf::ok_atom) {
        auto& st = self->state;
        if (st.exchange != exchange)
          return; // a link that has died since
        for (auto& w : st.waiting)
          self->send(exchange, std::move(w));
        st.waiting.clear();
        auto now = self->clock().now();
        for (auto& [id, t] : st.working) {
          t.on_link = true;
          t.since = now;
          // Every cancel not yet answered, again: one sent on the last link
          // may have died with it (a second one is answered cancel-rejected).
          if (t.cancel_requested)
            self->send(exchange, cancel_order_atom::value, id, t.symbol, t.user);
        }
        st.status->up.store(true);
        st.status->connects.fetch_add(1);
        if (!st.opts.link_reports_market_data)
          set_market_data(self, true);
        std::fprintf(stderr, "exchange_connector: the %s link is up\n", st.opts.link.c_str());
      },
      [](caf::error&) {}); // the link died first: the down handler reopens it
}

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

// Orders sent but never acknowledged, or asked to cancel, for stuck_after:
// the exchange is asked about each again (its answer repairs the books).
void check_stuck(connector_ptr self) {
  auto& st = self->state;
  if (!st.exchange || !st.status->up.load())
    return; // the next link reconciles them all
  auto now = self->clock().now();
  for (auto& [id, t] : st.working) {
    if (!t.on_link || (t.acknowledged && !t.cancel_requested) || now - t.since < st.opts.stuck_after)
      continue;
    auto o = as_order(id, t,
                      t.cancel_requested ? order_status::pending_cancel
                      : t.acknowledged   ? order_status::open
                                         : order_status::pending);
    t.since = now;
    st.status->status_checks.fetch_add(1);
    std::fprintf(stderr, "exchange_connector: order %lld is still %s after %lld ms: asking the exchange\n",
                 static_cast<long long>(id), std::string{to_string(o.status)}.c_str(),
                 static_cast<long long>(st.opts.stuck_after.count()));
    self->send(st.exchange, order_status_atom::value, std::move(o));
  }
}

// For the operator console: the link, its back-off, what is in flight.
std::string describe(connector_ptr self) {
  auto& st = self->state;
  json_writer w;
  w.begin_object()
    .field("link", st.opts.link)
    .field("linked", static_cast<bool>(st.exchange))
    .field("up", st.status->up.load())
    .field("marketData", st.status->market_data.load())
    .field("connects", static_cast<int64_t>(st.status->connects.load()))
    .field("repairs", static_cast<int64_t>(st.status->repairs.load()))
    .field("statusChecks", static_cast<int64_t>(st.status->status_checks.load()))
    .field("backoffMs", static_cast<int64_t>(st.backoff.count()))
    .field("queuedWhileDown", static_cast<int64_t>(st.waiting.size()))
    .field("workingOrders", static_cast<int64_t>(st.working.size()))
    .field("accountsKnown", static_cast<int64_t>(st.accounts.size()));
  w.key("inFlight").begin_array(); // the oldest first: the ones a stuck link holds longest
  size_t shown = 0;
  for (auto& [id, t] : st.working) {
    if (++shown > 100)
      break;
    w.begin_object()
      .field("orderId", static_cast<int64_t>(id))
      .field("user", static_cast<int64_t>(t.user))
      .field("symbol", t.symbol)
      .field("side", to_string(t.side))
      .field("quantity", t.quantity)
      .field("filled", t.filled)
      .field("acknowledged", t.acknowledged)
      .field("onLink", t.on_link)
      .field("cancelRequested", t.cancel_requested)
      .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

caf::behavior exchange_connector(connector_ptr self, std::shared_ptr<const symbol_actors> symbols,
                                 connector_options opts) {
  self->state.status = opts.status ? opts.status : std::make_shared<exchange_link_status>();
  self->state.opts = std::move(opts);
  self->state.symbols = std::move(symbols);
  self->delayed_send(self, self->state.opts.check_every, check_stuck_atom::value);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.exchange.address()) {
      st.exchange = nullptr; // cancels wait until a link is attached again
      st.status->up.store(false);
      set_market_data(self, false);
      if (!st.opts.reopen)
        return;
      if (self->clock().now() - st.attached_at >= connector_state::stable_after)
        st.backoff = connector_state::min_backoff;
      // Up to half again at random, so brokers that lost the same exchange
      // do not all knock at once.
      auto wait = st.backoff + std::chrono::milliseconds{static_cast<int64_t>(
                                 st.jitter() % static_cast<uint64_t>(st.backoff.count() / 2 + 1))};
      std::fprintf(stderr, "exchange_connector: the %s link went down (%s); reopening in %lld ms\n",
                   st.opts.link.c_str(), caf::to_string(dm.reason).c_str(), static_cast<long long>(wait.count()));
      self->delayed_send(self, wait, reattach_atom::value);
      st.backoff = std::min(st.backoff * 2, connector_state::max_backoff);
      return;
    }
    for (auto it = st.accounts.begin(); it != st.accounts.end(); ++it)
      if (it->second.address() == dm.source) {
        st.accounts.erase(it); // the next report asks the directory again
        return;
      }
  });
  // True when sent now, false when it waits for a link.
  // Only to a link that has answered its reconcile: one still logging on may
  // die first, and what it held would be lost with it.
  auto forward = [=](caf::message msg) {
    if (self->state.exchange && self->state.status->up.load()) {
      self->send(self->state.exchange, std::move(msg));
      return true;
    }
    self->state.waiting.push_back(std::move(msg));
    return false;
  };
  return instrumented(self, self->state.opts.census, actor_kind::connector, self->state.opts.link, 0, {
    [=](inspect_atom) { return describe(self); },
    // An operator restarts the link: it goes down as if dropped, is opened
    // again after the back-off, and reconciles. False: there was none.
    [=](relink_atom) {
      if (!self->state.exchange)
        return false;
      std::fprintf(stderr, "exchange_connector: an operator restarts the %s link\n", self->state.opts.link.c_str());
      self->send_exit(self->state.exchange, caf::exit_reason::user_shutdown);
      return true;
    },
    // Where accounts are found (the directory is spawned after the connector).
    [=](account_atom, caf::actor directory) { self->state.directory = std::move(directory); },
    // The exchange link is up; `working` are the broker's non-final orders to reconcile.
    [=](attach_atom, caf::actor exchange, std::vector<order>& working) {
      for (auto& o : working) // the books' working orders at start: sent before it
        self->state.working[o.id] = connector_state::tracked{
          o.user, o.symbol, o.side, o.quantity, o.filled_quantity, o.status != order_status::pending, true,
          o.status == order_status::pending_cancel, self->clock().now()};
      attach(self, std::move(exchange));
    },
    [=](reattach_atom) {
      auto& st = self->state;
      if (st.exchange || !st.opts.reopen)
        return;
      auto exchange = st.opts.reopen();
      // A link it opened is the connector's to close: the node stops only
      // the one it was given.
      self->attach_functor([exchange](const caf::error&) {
        caf::anon_send_exit(exchange, caf::exit_reason::user_shutdown);
      });
      attach(self, std::move(exchange));
    },
    [=](new_order_atom, const order& o) {
      bool sent = forward(caf::make_message(new_order_atom::value, o));
      self->state.working[o.id] = connector_state::tracked{
        o.user, o.symbol, o.side, o.quantity, 0, false, sent, false, self->clock().now()};
    },
    [=](cancel_order_atom, order_id id, const std::string& symbol, user_id account) {
      auto& st = self->state;
      auto it = st.working.find(id);
      if (it != st.working.end()) {
        it->second.cancel_requested = true; // remembered: sent on every link until answered
        it->second.since = self->clock().now();
      }
      if (st.exchange && st.status->up.load())
        self->send(st.exchange, cancel_order_atom::value, id, symbol, account);
      else if (it == st.working.end())
        st.waiting.push_back(caf::make_message(cancel_order_atom::value, id, symbol, account));
    },
    [=](const execution_report& r) {
      if (r.repair) {
        self->state.status->repairs.fetch_add(1);
        std::fprintf(stderr, "exchange_connector: reconciliation repairs order %lld: %s (%s)\n",
                     static_cast<long long>(r.client_order_id), std::string{to_string(r.kind)}.c_str(),
                     r.text.c_str());
      }
      track(self, r);
      route_report(self, r);
    },
    [=](check_stuck_atom) {
      check_stuck(self);
      self->delayed_send(self, self->state.opts.check_every, check_stuck_atom::value);
    },
    [=](market_data_atom, bool flowing) {
      if (self->current_sender() == self->state.exchange.address())
        set_market_data(self, flowing);
    },
    [=](ticks_atom, std::vector<tick>& ticks) {
      // One message per symbol per batch, never one per tick.
      std::map<std::string, std::vector<tick>> by_symbol;
      for (auto& t : ticks)
        by_symbol[t.symbol].push_back(std::move(t));
      for (auto& [symbol, batch] : by_symbol) {
        if (auto actor = self->state.symbols->of(symbol))
          self->send(actor, ticks_atom::value, std::move(batch));
      }
    },
  });
}

caf::actor spawn_exchange_connector(caf::actor_system& sys, std::shared_ptr<const symbol_actors> symbols,
                                    connector_options opts) {
  return sys.spawn(exchange_connector, std::move(symbols), std::move(opts));
}

} // namespace broker
