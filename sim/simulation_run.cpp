#include "sim/simulation_run.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <queue>
#include <random>

#include "protocol/civil_time.hpp"
#include "protocol/json_writer.hpp"
#include "sim/deterministic_node.hpp"
#include "sim/exchange_session.hpp"
#include "sim/simulated_client.hpp"
#include "sim/invariants.hpp"
#include "sim/state_digest.hpp"

namespace broker::sim {

namespace {

// How likely each fault is, per commit (store-fail), per new order
// (exchange-reject), per execution report (exchange-duplicate, -reorder,
// -delay) or per batch of user actions (the others).
constexpr uint32_t store_fail_per_million = 20'000; // 2% of commits
constexpr uint32_t store_stall_per_million = 500;    // locked for 1-20 s
constexpr uint32_t exchange_reject_per_million = 10'000;
constexpr uint32_t exchange_duplicate_per_million = 20'000;
constexpr uint32_t exchange_reorder_per_million = 10'000;
constexpr uint32_t exchange_delay_per_million = 20'000; // late by up to 3 s
constexpr uint32_t exchange_drop_per_million = 1'000;
constexpr uint32_t account_kill_per_million = 1'000;
constexpr uint32_t symbol_kill_per_million = 500;
constexpr uint32_t crash_per_million = 150;
constexpr uint32_t slow_client_per_million = 5'000; // a client stops reading for 3-40 s
constexpr int ws_users_percent = 30;                // users who keep a WebSocket open
constexpr auto beat = std::chrono::seconds{5};      // the sessions' conflation interval here
// A session closes a client that stays behind this long (session_options).
constexpr auto slow_client_timeout = std::chrono::seconds{10};
// At the end, faults off, this long for the broker and the exchange to
// settle before the books are held against the exchange's records.
constexpr auto quiet_time = std::chrono::minutes{2};
constexpr size_t events_kept = 40; // shown when an invariant breaks
constexpr size_t traded_symbols = 8; // users trade the first few instruments: orders meet

// Monday 2026-01-19, 09:00 IST: the pre-open of a trading day.
timestamp day_start() { return days_from_civil(2026, 1, 19) * ns_per_day + (3 * 60 + 30) * ns_per_minute; }

struct sim_user {
  std::string email;
  std::optional<user_id> id;
  bool kyc = false;
  bool funded = false;
  std::vector<order_id> working; // acknowledged and not known to be final
  // A WebSocket client following its orders and a few symbols, reconnected
  // on the next action after it was closed.
  bool uses_websocket = false;
  std::shared_ptr<simulated_client> client;
  std::shared_ptr<frame_handler> connection;
  timestamp slow_since = 0, slow_until = 0; // while its client does not read
};

class simulation {
public:
  explicit simulation(const simulation_config& cfg) : cfg_(cfg), rng_(cfg.seed), store_rng_(cfg.seed ^ 0x5702e) {}

  simulation_result run();

private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>{lo, hi}(rng_); }
  bool chance(uint32_t per_million) { return rng_() % 1'000'000 < per_million; }
  bool fault_on(const char* name) const { return cfg_.faults.count(name) > 0; }
  // When a user acts next: after a think time (mean `think_time`, integers
  // only) while the market is open; while it is closed, most wait for the
  // next open and a few act anyway (and are refused market_closed).
  timestamp next_action(timestamp now) {
    auto mean = cfg_.think_time.count();
    timestamp t = now + pick(mean / 10 + 1, mean * 19 / 10);
    auto& cal = node_->broker->calendar();
    if (cal.is_open(t) || pick(0, 19) == 0)
      return t;
    return next_open(t) + pick(0, 30 * ns_per_minute);
  }
  timestamp next_open(timestamp t) const {
    auto& cal = node_->broker->calendar();
    for (int64_t day = cal.local_day(t);; ++day) {
      timestamp open = cal.session_start(cal.day_start(day) + ns_per_day / 2);
      if (cal.is_business_day_number(day) && open > t)
        return open;
    }
  }

  void record(std::string what) {
    if (cfg_.trace)
      std::printf("%s\n", what.c_str());
    result_.last_events.push_back(std::move(what));
    if (result_.last_events.size() > events_kept)
      result_.last_events.pop_front();
  }
  std::string now_text() const { return format_iso_time(node_->clock.now()); }
  std::string who(size_t u) const {
    return now_text() + " user " + std::to_string(u) + (users_[u].id ? " (" + std::to_string(*users_[u].id) + ")" : "");
  }
  // A call's outcome: counted, and described in the event log.
  template <class T>
  bool outcome(size_t u, const std::string& what, const std::variant<T, rejection>& r, std::string ok_text = "ok") {
    ++result_.actions[what];
    if (auto* rej = std::get_if<rejection>(&r)) {
      std::string code{code_of(rej->reason)};
      ++result_.refusals[code];
      record(who(u) + " " + what + " -> " + code);
      return false;
    }
    record(who(u) + " " + what + " -> " + ok_text);
    return true;
  }

  void act(size_t u);
  void connect(size_t u);
  void drop_connections(const char* why);
  void resync_clients();
  void end_slow_clients();
  bool check_clients(const store_snapshot& snap);
  void place(size_t u);
  void after_actions();
  void set_store_faults(bool on);
  void quiesce();
  caf::actor pick_account_to_kill();
  caf::actor pick_symbol_to_kill();
  bool check_alerts_armed(const store_snapshot& snap);
  bool check(const char* when);
  void fail(std::string why) {
    if (result_.ok) {
      result_.ok = false;
      result_.failure = std::move(why);
    }
  }

  const simulation_config& cfg_;
  std::mt19937_64 rng_;
  std::mt19937_64 store_rng_; // its own: a commit's draw must not shift the users'
  std::shared_ptr<session_faults> link_faults_ = std::make_shared<session_faults>();
  std::unique_ptr<deterministic_node> node_;
  std::vector<sim_user> users_;
  std::vector<const instrument*> symbols_;
  simulation_result result_;
  // Acknowledged: they must survive any crash.
  std::set<order_id> acked_orders_;
  std::map<user_id, std::set<int64_t>> acked_transfers_; // deposits and withdrawals, by transfer id
  std::set<std::pair<user_id, int64_t>> acked_alerts_;
  std::map<order_id, order_status> last_seen_; // for legal transitions
};

void simulation::act(size_t u) {
  auto& me = users_[u];
  auto& b = *node_->broker;
  ++result_.events;
  if (!me.id) {
    b.signup({me.email, "correct horse battery", "Sim User", "9876543210"}, [this, u](std::variant<user_id, rejection> r) {
      if (auto* rej = std::get_if<rejection>(&r); rej && rej->reason == reject_reason::email_taken) {
        // Signed up before a crash took the answer away: log in instead.
        node_->broker->login({users_[u].email, "correct horse battery"}, [this, u](std::variant<user_id, rejection> l) {
          if (outcome(u, "login", l))
            users_[u].id = std::get<user_id>(l);
        });
        return;
      }
      if (outcome(u, "signup", r))
        users_[u].id = std::get<user_id>(r);
    });
    return;
  }
  user_id id = *me.id;
  if (!me.kyc) {
    b.submit_kyc(id, {"ABCDE1234F", "1990-01-01", "1 Sim Road"}, [this, u](std::variant<user_profile, rejection> r) {
      if (outcome(u, "kyc", r) || std::get<rejection>(r).reason == reject_reason::kyc_already_submitted)
        users_[u].kyc = true;
    });
    return;
  }
  if (me.uses_websocket && (!me.client || me.client->closed))
    return connect(u);
  auto roll = me.funded ? pick(0, 99) : 0;
  if (roll < 10) {
    money amount = pick(1'000, 200'000) * 100;
    b.deposit(id, amount, [this, u, id](std::variant<transfer, rejection> r) {
      if (outcome(u, "deposit", r)) {
        users_[u].funded = true;
        acked_transfers_[id].insert(std::get<transfer>(r).id);
      }
    });
  } else if (roll < 15) {
    b.withdraw(id, pick(100, 50'000) * 100, [this, u, id](std::variant<transfer, rejection> r) {
      if (outcome(u, "withdraw", r))
        acked_transfers_[id].insert(std::get<transfer>(r).id);
    });
  } else if (roll < 65) {
    place(u);
  } else if (roll < 80) {
    if (me.working.empty())
      return place(u);
    auto at = static_cast<size_t>(pick(0, static_cast<int64_t>(me.working.size()) - 1));
    order_id victim = me.working[at];
    b.cancel_order(id, victim, [this, u, victim](std::variant<order, rejection> r) {
      outcome(u, "cancel " + std::to_string(victim), r);
    });
  } else if (roll < 85) {
    auto* inst = symbols_[static_cast<size_t>(pick(0, static_cast<int64_t>(symbols_.size()) - 1))];
    auto q = b.quotes().quote_of(inst->symbol);
    bool above = pick(0, 1) == 1;
    money price = std::clamp(q->ltp + (above ? 1 : -1) * pick(1, 20) * inst->tick_size, inst->lower_band(),
                             inst->upper_band());
    b.create_alert(id, {inst->symbol, above ? alert_condition::above : alert_condition::below, price},
                   [this, u](std::variant<price_alert, rejection> r) {
                     if (outcome(u, "alert", r))
                       acked_alerts_.insert({std::get<price_alert>(r).user, std::get<price_alert>(r).id});
                   });
  } else if (roll < 90) {
    b.balance(id, [this, u](std::variant<cash_balance, rejection> r) { outcome(u, "balance", r); });
  } else if (roll < 95) {
    b.portfolio(id, [this, u](std::variant<portfolio_value, rejection> r) { outcome(u, "portfolio", r); });
  } else {
    b.list_orders(id, order_query{}, [this, u](std::variant<order_page, rejection> r) { outcome(u, "orders", r); });
  }
}

// Opens a WebSocket session: signs in, follows the orders channel and a few
// symbols' quotes.
void simulation::connect(size_t u) {
  auto& me = users_[u];
  ++result_.actions["connect"];
  me.client = std::make_shared<simulated_client>();
  me.slow_until = 0;
  me.connection = node_->broker->open_session(me.client, [](const std::string& token) -> std::optional<user_id> {
    if (token.rfind("sim-", 0) != 0)
      return std::nullopt;
    return std::stoll(token.substr(4));
  });
  me.connection->on_text(R"({"action":"auth","token":"sim-)" + std::to_string(*me.id) + R"("})");
  std::string symbols;
  for (int i = 0, n = static_cast<int>(pick(1, 3)); i < n; ++i)
    symbols += std::string{i ? "," : ""} + "\"" + symbols_[static_cast<size_t>(pick(0, static_cast<int64_t>(symbols_.size()) - 1))]->symbol + "\"";
  me.connection->on_text(R"({"action":"subscribe","channels":["orders"],"symbols":[)" + symbols + "]}");
  record(who(u) + " connects a WebSocket");
}

// Every WebSocket goes (the node is crashing, or the run is over): the
// clients see the connection drop, the sessions are told it closed.
void simulation::drop_connections(const char* why) {
  for (auto& me : users_) {
    if (!me.connection)
      continue;
    me.client->close(1006, why);
    me.client->set_slow(false);
    me.connection->on_closed();
    me.connection.reset();
  }
  node_->run();
}

// A client told its channel resynced fetches its orders again, as an app
// would. Asked while the system is quiet, so the answer is the latest state.
void simulation::resync_clients() {
  for (size_t u = 0; u < users_.size(); ++u) {
    auto& me = users_[u];
    if (!me.client || me.client->closed || !me.client->resync_pending)
      continue;
    me.client->resync_pending = false;
    order_query q;
    q.limit = 500;
    for (int64_t seen = 0, total = 1; seen < total; ++q.page) {
      auto page = node_->ask<order_page>([&](auto done) { node_->broker->list_orders(*me.id, q, done); });
      if (!outcome(u, "resync orders", page))
        break;
      auto& p = std::get<order_page>(page);
      for (auto& o : p.orders)
        me.client->order_status[o.id] = std::string{to_string(o.status)};
      total = p.total;
      seen += static_cast<int64_t>(p.orders.size());
      if (p.orders.empty())
        break;
    }
  }
}

// A client that stopped reading: its session stops writing quotes to it, and
// closes it (1013) once it has stayed behind past slow_client_timeout.
void simulation::end_slow_clients() {
  auto now = node_->clock.now();
  for (size_t u = 0; u < users_.size() && result_.ok; ++u) {
    auto& me = users_[u];
    if (!me.client || !me.client->slow() || now < me.slow_until)
      continue;
    auto behind = me.slow_until - me.slow_since;
    if (me.client->quote_frames_while_slow > 0)
      fail("slow_client (" + now_text() + "): user " + std::to_string(u) + "'s session wrote "
           + std::to_string(me.client->quote_frames_while_slow) + " quote frames to a client that was not reading");
    else if (!me.client->closed
             && behind >= std::chrono::nanoseconds{slow_client_timeout + 2 * beat}.count())
      fail("slow_client (" + now_text() + "): user " + std::to_string(u) + "'s client read nothing for "
           + std::to_string(behind / 1'000'000) + " ms and its session did not close it");
    else if (me.client->closed && me.client->close_code != close_try_again_later && me.client->close_code != close_normal)
      fail("slow_client (" + now_text() + "): user " + std::to_string(u) + "'s slow client was closed with code "
           + std::to_string(me.client->close_code));
    record(who(u) + " client reads again" + (me.client->closed ? " (it was closed: " + me.client->close_reason + ")" : ""));
    me.client->set_slow(false);
  }
}

// What each open client following its orders was told equals the books: it
// heard of every order placed since it followed them, and the last status
// pushed of each is the order's status.
bool simulation::check_clients(const store_snapshot& snap) {
  std::map<order_id, const order*> by_id;
  for (auto& o : snap.orders)
    by_id[o.id] = &o;
  for (size_t u = 0; u < users_.size(); ++u) {
    auto& me = users_[u];
    if (!me.client || me.client->closed || !me.client->following_orders)
      continue;
    auto& told = me.client->order_status;
    for (auto& [id, status] : told) {
      auto it = by_id.find(id);
      if (it == by_id.end() || status != to_string(it->second->status)) {
        fail("client_sees_books (at the end): user " + std::to_string(u) + "'s WebSocket was last told order "
             + std::to_string(id) + " is " + status + "; the books say "
             + (it == by_id.end() ? std::string{"no such order"} : std::string{to_string(it->second->status)}));
        return false;
      }
    }
    for (auto& o : snap.orders)
      if (o.user == *me.id && o.created_at > me.client->following_since && !told.count(o.id)) {
        fail("client_sees_books (at the end): user " + std::to_string(u) + "'s WebSocket never heard of order "
             + std::to_string(o.id) + " (" + std::string{to_string(o.status)} + "), placed while it followed the orders channel");
        return false;
      }
  }
  return true;
}

// An order of any type and validity, priced around the last trade; a sell
// now and then of what the user may not hold (refused: no_holdings).
void simulation::place(size_t u) {
  auto& b = *node_->broker;
  auto* inst = symbols_[static_cast<size_t>(pick(0, static_cast<int64_t>(symbols_.size()) - 1))];
  money ltp = b.quotes().quote_of(inst->symbol)->ltp;
  place_order_request r;
  r.symbol = inst->symbol;
  r.side = pick(0, 9) < 6 ? side::buy : side::sell;
  r.quantity = pick(1, 20) * inst->lot_size;
  auto kind = pick(0, 9);
  r.type = kind < 4 ? order_type::market : kind < 8 ? order_type::limit : kind < 9 ? order_type::stop_market
                                                                                   : order_type::stop_limit;
  r.validity = pick(0, 9) < 8 ? validity::day : validity::ioc;
  auto near = [&](int64_t lo, int64_t hi) {
    return std::clamp(ltp + pick(lo, hi) * inst->tick_size, inst->lower_band(), inst->upper_band());
  };
  if (r.type == order_type::limit)
    r.price = near(-15, 15);
  if (r.type == order_type::stop_market || r.type == order_type::stop_limit) {
    // A stop buys on the way up and sells on the way down.
    r.trigger_price = r.side == side::buy ? near(1, 20) : near(-20, -1);
    if (r.type == order_type::stop_limit)
      r.price = r.side == side::buy ? std::min(r.trigger_price + pick(0, 5) * inst->tick_size, inst->upper_band())
                                    : std::max(r.trigger_price - pick(0, 5) * inst->tick_size, inst->lower_band());
  }
  std::string key = pick(0, 19) == 0 ? "k" + std::to_string(u) + "-" + std::to_string(pick(0, 3)) : "";
  std::string what = std::string{r.side == side::buy ? "BUY " : "SELL "} + std::string{to_string(r.type)} + " "
                     + std::to_string(r.quantity) + " " + r.symbol + (key.empty() ? "" : " key " + key);
  b.place_order(*users_[u].id, r, key, [this, u, what](std::variant<order, rejection> res) {
    std::string text = "ok";
    if (auto* o = std::get_if<order>(&res)) {
      text = "order " + std::to_string(o->id) + " " + std::string{to_string(o->status)};
      acked_orders_.insert(o->id);
      if (!is_final(o->status) && std::find(users_[u].working.begin(), users_[u].working.end(), o->id)
                                    == users_[u].working.end())
        users_[u].working.push_back(o->id);
    }
    outcome(u, "order", res, text);
  });
}

// The invariants on the store, every acknowledged command in it, and every
// order's status reached by a legal path from what was last seen.
bool simulation::check(const char* when) {
  ++result_.invariant_checks;
  auto snap = node_->db->load();
  auto broken = check_books(snap, 1);
  if (!broken.empty()) {
    fail(broken.front().invariant + " (" + when + "): " + broken.front().detail);
    return false;
  }
  std::map<order_id, const order*> by_id;
  for (auto& o : snap.orders)
    by_id[o.id] = &o;
  for (auto id : acked_orders_)
    if (!by_id.count(id)) {
      fail(std::string{"acknowledged_survives ("} + when + "): order " + std::to_string(id)
           + " was acknowledged and is not in the store");
      return false;
    }
  std::set<std::pair<user_id, int64_t>> transfers;
  for (auto& t : snap.transfers)
    transfers.insert({t.user, t.id});
  for (auto& [user, ids] : acked_transfers_)
    for (auto id : ids)
      if (!transfers.count({user, id})) {
        fail(std::string{"acknowledged_survives ("} + when + "): transfer " + std::to_string(id) + " of user "
             + std::to_string(user) + " was acknowledged and is not in the store");
        return false;
      }
  std::set<std::pair<user_id, int64_t>> alerts;
  for (auto& a : snap.alerts)
    alerts.insert({a.user, a.id});
  for (auto& key : acked_alerts_)
    if (!alerts.count(key)) {
      fail(std::string{"acknowledged_survives ("} + when + "): alert " + std::to_string(key.second) + " of user "
           + std::to_string(key.first) + " was acknowledged and is not in the store");
      return false;
    }
  for (auto& o : snap.orders) {
    auto seen = last_seen_.find(o.id);
    if (seen != last_seen_.end() && seen->second != o.status && !is_legal_transition(seen->second, o.status)) {
      fail(std::string{"legal_transitions ("} + when + "): order " + std::to_string(o.id) + " went from "
           + std::string{to_string(seen->second)} + " to " + std::string{to_string(o.status)});
      return false;
    }
    last_seen_[o.id] = o.status;
  }
  for (auto& me : users_) // what the books say is working
    me.working.erase(std::remove_if(me.working.begin(), me.working.end(),
                                    [&](order_id id) { return !by_id.count(id) || is_final(by_id[id]->status); }),
                     me.working.end());
  return true;
}

void simulation::after_actions() {
  if (fault_on("exchange-drop") && chance(exchange_drop_per_million)) {
    ++result_.faults["exchange-drop"];
    record(now_text() + " FAULT the exchange link dies");
    caf::anon_send_exit(node_->current_exchange, caf::exit_reason::kill);
    node_->run();
  }
  if (fault_on("slow-client") && chance(slow_client_per_million)) {
    auto u = static_cast<size_t>(pick(0, static_cast<int64_t>(users_.size()) - 1));
    auto& me = users_[u];
    if (me.client && !me.client->closed && !me.client->slow()) {
      ++result_.faults["slow-client"];
      me.slow_since = node_->clock.now();
      me.slow_until = me.slow_since + pick(3'000, 40'000) * 1'000'000;
      me.client->set_slow(true);
      record(who(u) + " FAULT its WebSocket client stops reading for "
             + std::to_string((me.slow_until - me.slow_since) / 1'000'000) + " ms");
    }
  }
  if (fault_on("store-stall") && chance(store_stall_per_million)) {
    ++result_.faults["store-stall"];
    auto for_ms = pick(1'000, 20'000);
    record(now_text() + " FAULT the store is locked for " + std::to_string(for_ms) + " ms");
    node_->db->stalled_until = node_->clock.now() + for_ms * 1'000'000;
  }
  if (fault_on("crash") && chance(crash_per_million)) {
    ++result_.faults["crash"];
    record(now_text() + " FAULT the node crashes; restarting from its store");
    drop_connections("the node crashed");
    node_->crash();
    set_store_faults(false); // the restart itself reads and writes; faults resume after
    node_->recover();
    set_store_faults(true);
    check("after a crash");
  }
}

void simulation::set_store_faults(bool on) {
  node_->db->fail_per_million = on && fault_on("store-fail") ? store_fail_per_million : 0;
  if (!on)
    node_->db->stalled_until = 0;
}

// A user's account actor, to be killed in the middle of the next batch.
caf::actor simulation::pick_account_to_kill() {
  if (!fault_on("account-kill") || !chance(account_kill_per_million))
    return {};
  auto u = static_cast<size_t>(pick(0, static_cast<int64_t>(users_.size()) - 1));
  if (!users_[u].id)
    return {};
  auto a = node_->account_of(*users_[u].id);
  if (a) {
    ++result_.faults["account-kill"];
    record(who(u) + " FAULT its account actor is killed mid-flow; the directory reloads it from the store");
  }
  return a;
}

// A traded symbol's actor, to be killed in the middle of the next batch.
caf::actor simulation::pick_symbol_to_kill() {
  if (!fault_on("symbol-kill") || !chance(symbol_kill_per_million))
    return {};
  auto* inst = symbols_[static_cast<size_t>(pick(0, static_cast<int64_t>(symbols_.size()) - 1))];
  ++result_.faults["symbol-kill"];
  record(now_text() + " FAULT " + inst->symbol + "'s actor is killed mid-flow; its supervisor spawns it again");
  return node_->broker->symbols().of(inst->symbol);
}

// Every symbol actor holds armed exactly the active alerts the store holds
// for its symbol: none lost with a dead actor, none left over.
bool simulation::check_alerts_armed(const store_snapshot& snap) {
  std::map<std::string, std::set<std::pair<user_id, int64_t>>> stored;
  for (auto& a : snap.alerts)
    if (a.status == alert_status::active)
      stored[a.symbol].insert({a.user, a.id});
  for (auto& inst : node_->instruments->all()) {
    auto armed = node_->armed_alerts(inst.symbol);
    std::set<std::pair<user_id, int64_t>> held(armed.begin(), armed.end());
    if (held != stored[inst.symbol]) {
      fail("alerts_armed (at the end): " + inst.symbol + "'s actor holds " + std::to_string(held.size())
           + " alerts armed, the store " + std::to_string(stored[inst.symbol].size()) + " active");
      return false;
    }
  }
  return true;
}

// Every fault off, then time for what is under way to finish: late and
// held reports arrive, failed writes are retried, stuck orders asked about.
void simulation::quiesce() {
  set_store_faults(false);
  link_faults_->duplicate_per_million = link_faults_->reorder_per_million = link_faults_->delay_per_million = 0;
  node_->advance(quiet_time);
}

simulation_result simulation::run() {
  auto wall_start = std::chrono::steady_clock::now();
  deterministic_node_options o;
  o.instruments_csv = cfg_.instruments_csv;
  o.always_open = false; // NSE hours: orders before 09:15 and after 15:30 IST are refused
  o.seed = cfg_.seed;
  o.quote_interval = std::chrono::seconds{60}; // the market maker moves each minute: liquidity, not load
  o.conflation_interval = beat;
  o.start = day_start();
  o.simulated_disk = true;
  o.exchange_outlives_links = true; // reconciled against at every relink and restart, held against at the end
  link_faults_->rng.seed(cfg_.seed ^ 0x11f4);
  if (fault_on("exchange-duplicate"))
    link_faults_->duplicate_per_million = exchange_duplicate_per_million;
  if (fault_on("exchange-reorder"))
    link_faults_->reorder_per_million = exchange_reorder_per_million;
  if (fault_on("exchange-delay"))
    link_faults_->delay_per_million = exchange_delay_per_million;
  o.link_faults = link_faults_;
  o.exchange_reject_per_million = fault_on("exchange-reject") ? exchange_reject_per_million : 0;
  std::filesystem::remove_all(cfg_.work_dir);
  node_ = std::make_unique<deterministic_node>(cfg_.work_dir, o);
  node_->db->rng = &store_rng_;
  node_->db->clock = &node_->clock;
  set_store_faults(true);
  for (auto& inst : node_->instruments->all())
    if (symbols_.size() < traded_symbols)
      symbols_.push_back(&inst);
  timestamp start = node_->clock.now(), end = start + cfg_.duration.count();
  using event = std::pair<timestamp, size_t>; // when, which user
  std::priority_queue<event, std::vector<event>, std::greater<event>> due;
  for (size_t u = 0; u < cfg_.users; ++u) {
    users_.push_back(sim_user{});
    users_.back().email = "user" + std::to_string(u) + "@sim.example";
    users_.back().uses_websocket = pick(0, 99) < ws_users_percent;
    due.push({start + pick(0, cfg_.think_time.count()), u});
  }
  timestamp next_check = start + cfg_.check_every.count();
  int last_percent = -1;
  // Actions falling within a few milliseconds go in together: their
  // messages interleave as concurrent clients' would.
  constexpr timestamp together = 5'000'000;
  while (result_.ok && !due.empty() && due.top().first <= end) {
    timestamp t = due.top().first;
    node_->advance_to(t);
    std::vector<size_t> acting;
    while (!due.empty() && due.top().first <= t + together) {
      acting.push_back(due.top().second);
      due.pop();
    }
    std::vector<caf::actor> victims;
    for (auto v : {pick_account_to_kill(), pick_symbol_to_kill()})
      if (v)
        victims.push_back(v);
    for (auto u : acting)
      act(u);
    if (!victims.empty())
      node_->step(static_cast<size_t>(pick(0, 30)));
    for (auto& v : victims) // as a handler's uncaught exception would
      caf::anon_send_exit(v, caf::exit_reason::unhandled_exception);
    node_->run();
    for (auto u : acting) {
      auto& c = users_[u].client;
      if (c && c->following_orders && c->following_since == 0)
        c->following_since = node_->clock.now();
      due.push({next_action(node_->clock.now()), u});
    }
    resync_clients();
    end_slow_clients();
    after_actions();
    if (result_.ok && node_->clock.now() >= next_check) {
      check("on the timer");
      next_check += cfg_.check_every.count();
    }
    int percent = static_cast<int>((node_->clock.now() - start) * 100 / std::max<timestamp>(1, end - start));
    if (cfg_.progress && percent != last_percent) {
      cfg_.progress(percent / 100.0);
      last_percent = percent;
    }
  }
  if (result_.ok) {
    node_->advance_to(end);
    check("at the end");
  }
  if (result_.ok)
    quiesce();
  auto [records, refused] = node_->exchange_records();
  if (result_.ok && check("after the faults stopped")) {
    ++result_.invariant_checks;
    auto snap = node_->db->load();
    auto broken = check_against_exchange(snap, records, 1);
    if (!broken.empty())
      fail(broken.front().invariant + " (at the end): " + broken.front().detail);
    else if (check_clients(snap) && check_alerts_armed(snap))
      ++result_.invariant_checks;
  }
  drop_connections("the run is over");
  auto snap = node_->db->load();
  result_.orders = snap.orders.size();
  for (auto& e : snap.executions)
    result_.fills += e.report.kind == exec_kind::trade;
  for (auto& name : fault_names())
    if (fault_on(name.c_str()))
      result_.faults[name] += 0; // listed, even when none struck
  result_.faults["store-fail"] = node_->db->injected;
  result_.unsynced_writes_lost = node_->disk->stats().writes_lost;
  if (fault_on("exchange-reject"))
    result_.faults["exchange-reject"] = refused;
  if (fault_on("exchange-duplicate"))
    result_.faults["exchange-duplicate"] = link_faults_->duplicated;
  if (fault_on("exchange-reorder"))
    result_.faults["exchange-reorder"] = link_faults_->reordered;
  if (fault_on("exchange-delay"))
    result_.faults["exchange-delay"] = link_faults_->delayed;
  result_.simulated_seconds = static_cast<double>(node_->clock.now() - start) / 1e9;
  node_.reset();
  result_.digest = state_digest((cfg_.work_dir / "broker.db").string());
  result_.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result_;
}

} // namespace

const std::vector<std::string>& fault_names() {
  static const std::vector<std::string> names{"store-fail",        "store-stall",      "exchange-reject",
                                              "exchange-duplicate", "exchange-reorder", "exchange-delay",
                                              "exchange-drop",      "account-kill",     "symbol-kill",
                                              "slow-client",        "crash"};
  return names;
}

simulation_result run_simulation(const simulation_config& cfg) { return simulation{cfg}.run(); }

} // namespace broker::sim
