#include "actors/node.hpp"

#include <cstdio>
#include <limits>
#include <set>

#include <caf/all.hpp>

#include "actors/directory.hpp"
#include "protocol/civil_time.hpp"
#include "actors/exchange_connector.hpp"
#include "actors/gateway.hpp"
#include "actors/quote_fanout.hpp"
#include "actors/store_reader.hpp"

namespace broker {

node::node(caf::actor_system& sys, std::shared_ptr<store> db,
           std::shared_ptr<const instrument_table> instruments,
           std::shared_ptr<const market_calendar> calendar, const utc_clock& clock,
           outside_services outside, node_options opts)
  : sys_(sys), clock_(clock), instruments_(std::move(instruments)), opts_(opts),
    outside_(std::move(outside)) {
  census_ = opts.census ? opts.census : std::make_shared<actor_census>();
  auto enrolled = opts.instrument_actors ? census_ : nullptr;
  opts.persistence.census = opts.users.census = opts.gateway.census = opts.symbols.census =
    opts.connector.census = opts.desk.census = enrolled;
  auto snap = db->load();
  auto existing_users = snap.users;
  std::vector<order> working;
  order_id highest = 0;
  for (auto& o : snap.orders) {
    highest = std::max(highest, o.id);
    if (!is_final(o.status))
      working.push_back(o);
  }

  for (auto& h : db->halts())
    halts_->halt(trading_halt{h.symbol, h.reason, h.since, h.operator_name});
  persistence_ = spawn_persistence(sys, db, opts.persistence);
  reader_ = spawn_store_reader(sys, db, opts.persistence.detached, enrolled);
  calendar_ = calendar;
  connections_ = std::make_shared<connection_count>(opts.sessions.max_connections_per_user);
  counters_ = std::make_shared<market_counters>();
  auto symbol_opts = opts.symbols;
  symbol_opts.counters = counters_;
  quotes_ = std::make_shared<latest_quotes>(*instruments_);
  symbols_ = spawn_symbols(sys, *instruments_, calendar, persistence_, reader_,
                           db->candles_since(calendar->session_start(clock.now())), quotes_,
                           symbol_opts);
  for (size_t i = 0; i < std::max<size_t>(1, opts.quote_fanouts); ++i)
    fanouts_.push_back(spawn_quote_fanout(sys, opts.symbols.conflation_interval, enrolled));
  exchange_status_ = std::make_shared<exchange_link_status>();
  connector_options co = opts.connector;
  co.link = outside_.exchange_link;
  co.reopen = outside_.reopen_exchange;
  co.status = exchange_status_;
  co.link_reports_market_data = outside_.exchange_reports_market_data;
  co.on_market_data = [quotes = quotes_](bool flowing) { quotes->set_stale(!flowing); };
  connector_ = spawn_exchange_connector(sys, symbols_, co);
  board_ = spawn_market_board(sys, quotes_, opts.indices, enrolled);
  auto env = std::make_shared<account_env>();
  env->persistence = persistence_;
  env->store_reader = reader_;
  env->connector = connector_;
  env->exchange_status = exchange_status_;
  env->kyc_provider = outside_.kyc_provider;
  env->payment_gateway = outside_.payment_gateway;
  env->instruments = instruments_;
  env->stamp_handover = opts.persistence.probe != nullptr;
  auto rules = std::make_shared<book_rules>();
  rules->fees = opts.fees;
  rules->settlement_days = opts.settlement_days;
  rules->calendar = *calendar;
  rules->cost_basis = opts.cost_basis;
  env->rules = std::move(rules);
  env->calendar = std::move(calendar);
  env->clock = &clock;
  // Node-wide ids continue past the highest the store holds.
  int64_t last_entry = snap.journal.empty() ? 0 : snap.journal.back().id;
  int64_t last_note = snap.notifications.empty() ? 0 : snap.notifications.back().id;
  env->ids = id_sources{std::make_shared<order_id_source>(highest + 1),
                        std::make_shared<order_id_source>(last_entry + 1),
                        std::make_shared<order_id_source>(last_note + 1)};
  env->symbols = symbols_;
  env->halts = halts_;
  env->census = enrolled;
  std::vector<price_alert> active_alerts;
  for (auto& a : snap.alerts)
    if (a.status == alert_status::active)
      active_alerts.push_back(a);
  directory_ = spawn_directory(sys, seeds_from(std::move(snap)), env);
  users_ = spawn_users(sys, std::move(existing_users), persistence_, directory_, &clock, opts.users);
  desk_ = spawn_operator_desk(sys, db, halts_, opts.desk);
  // Symbols report fired alerts to the directory; the stored active ones are re-armed.
  for (auto& a : symbols_->all())
    caf::anon_send(a, account_atom::value, directory_);
  caf::anon_send(symbols_->supervisor, account_atom::value, directory_);
  for (auto& a : active_alerts)
    if (auto s = symbols_->of(a.symbol))
      caf::anon_send(s, alert_atom::value, a);
  for (size_t i = 0; i < std::max<size_t>(1, opts.gateways); ++i)
    gateways_.push_back(spawn_gateway(sys, &clock, opts.gateway));
  caf::anon_send(connector_, account_atom::value, directory_);
  caf::anon_send(connector_, attach_atom::value, outside_.exchange, std::move(working));
}

void node::stop(std::chrono::seconds timeout) {
  caf::scoped_actor self{sys_, true};
  auto stop_and_wait = [&](const std::vector<caf::actor>& group) {
    size_t waiting = 0;
    for (auto& a : group)
      if (a) {
        self->monitor(a);
        self->send_exit(a, caf::exit_reason::user_shutdown);
        ++waiting;
      }
    for (; waiting > 0; --waiting)
      self->receive([](const caf::down_msg&) {},
                    caf::after(timeout) >> [&] { waiting = 1; });
  };
  // No new reports, then no new writes, then the last flush.
  std::vector<caf::actor> first{outside_.exchange, connector_, users_, directory_, desk_,
                               outside_.kyc_provider, outside_.payment_gateway};
  first.push_back(symbols_->supervisor); // before its actors: none is spawned again
  for (auto& a : symbols_->all())
    first.push_back(a);
  first.push_back(board_);
  first.insert(first.end(), fanouts_.begin(), fanouts_.end());
  stop_and_wait(first);
  stop_and_wait({persistence_, reader_});
  // Last: whatever they still wait for is answered "shutting down".
  stop_and_wait(gateways_);
  gateways_.clear();
  for (auto* a : {&outside_.exchange, &connector_, &users_, &directory_, &desk_, &outside_.kyc_provider,
                  &outside_.payment_gateway, &persistence_, &board_, &reader_})
    *a = nullptr;
}

node::~node() { exit_all(caf::exit_reason::user_shutdown); }

void node::kill_all() { exit_all(caf::exit_reason::kill); }

void node::exit_all(caf::exit_reason why) {
  for (auto& a : {users_, directory_, desk_, connector_, persistence_, reader_, outside_.exchange,
                  outside_.kyc_provider, outside_.payment_gateway})
    if (a)
      caf::anon_send_exit(a, why);
  for (auto& g : gateways_)
    caf::anon_send_exit(g, why);
  for (auto& f : fanouts_)
    caf::anon_send_exit(f, why);
  caf::anon_send_exit(symbols_->supervisor, why);
  for (auto& a : symbols_->all())
    caf::anon_send_exit(a, why);
  if (board_)
    caf::anon_send_exit(board_, why);
}

namespace {

// A call whose answer is a T. `Send` sends the request(s) from the gateway
// and answers through answer(); a late answer after expiry is dropped.
template <class T, class Send>
class typed_call final : public gateway_call {
public:
  typed_call(reply<T> done, Send send) : done_(std::move(done)), send_(std::move(send)) {}

  void start(caf::event_based_actor* self) override {
    send_(self, std::static_pointer_cast<typed_call>(shared_from_this()));
  }
  void expire(bool stopping) override {
    done_(rejection{reject_reason::overloaded,
                    stopping ? "the broker is shutting down; try again"
                             : "the broker is busy and did not answer in time; try again "
                               "(with the same Idempotency-Key, an order is never placed twice)",
                    {}});
  }
  void answer(T&& value) {
    if (settle())
      done_(std::move(value));
  }
  void answer(const caf::error& e) {
    if (settle())
      done_(to_rejection(e));
  }

private:
  reply<T> done_;
  Send send_;
};

template <class T, class Send>
std::shared_ptr<gateway_call> make_call(reply<T> done, Send send) {
  return std::make_shared<typed_call<T, Send>>(std::move(done), std::move(send));
}

} // namespace

const caf::actor& node::gateway_for(uint64_t key) const {
  return gateways_[key % gateways_.size()];
}

template <class T, class... Ts>
void node::ask(caf::actor dest, reply<T> done, Ts... args) {
  auto call = make_call<T>(std::move(done), [=](caf::event_based_actor* self, auto c) {
    self->request(dest, caf::infinite, args...)
      .then([=](T& value) { c->answer(std::move(value)); },
            [=](caf::error& e) { c->answer(e); });
  });
  call->deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count();
  send_call(gateway_for(next_gateway_++), std::move(call));
}

caf::actor node::cached_account(user_id u) {
  std::lock_guard<std::mutex> guard{accounts_->mutex};
  auto it = accounts_->accounts.find(u);
  return it == accounts_->accounts.end() ? caf::actor{} : it->second;
}

void node::remember_account(user_id u, caf::actor a) {
  {
    std::lock_guard<std::mutex> guard{accounts_->mutex};
    if (!accounts_->accounts.emplace(u, a).second)
      return;
  }
  // Run by the account as it dies (at once if it already has).
  a->attach_functor([cache = std::weak_ptr<account_cache>{accounts_}, u, dead = a.address()] {
    if (auto c = cache.lock()) {
      std::lock_guard<std::mutex> guard{c->mutex};
      if (auto it = c->accounts.find(u); it != c->accounts.end() && it->second.address() == dead)
        c->accounts.erase(it);
    }
  });
}

void node::forget_account(user_id u) {
  std::lock_guard<std::mutex> guard{accounts_->mutex};
  accounts_->accounts.erase(u);
}

template <class T, class... Ts>
void node::ask_account(user_id u, reply<T> done, Ts... args) {
  auto call = make_call<T>(std::move(done), [=](caf::event_based_actor* self, auto c) {
    // Through the directory: it spawns an account on first use (and reloads
    // one that crashed from the store).
    auto via_directory = [=] {
      self->request(directory_, caf::infinite, account_atom::value, u)
        .then(
          [=](caf::actor& account) {
            remember_account(u, account);
            self->request(account, caf::infinite, args...)
              .then([=](T& value) { c->answer(std::move(value)); },
                    [=](caf::error& e) {
                      if (e == caf::sec::request_receiver_down)
                        forget_account(u);
                      c->answer(e);
                    });
          },
          [=](caf::error& e) { c->answer(e); });
    };
    auto account = cached_account(u);
    if (!account) {
      via_directory();
      return;
    }
    self->request(account, caf::infinite, args...)
      .then([=](T& value) { c->answer(std::move(value)); },
            [=](caf::error& e) {
              // The account died. Not retried here: it may have handled this
              // command before dying, and a place without Idempotency-Key
              // would be placed twice. The next call goes through the
              // directory, which has reloaded the account from the store.
              if (e == caf::sec::request_receiver_down)
                forget_account(u);
              c->answer(e);
            });
  });
  call->deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count();
  // One gateway per user: a user's calls reach the account in the order made.
  send_call(gateway_for(u), std::move(call));
}

void node::signup(signup_request r, reply<user_id> done) {
  ask(users_, std::move(done), signup_atom::value, std::move(r));
}
void node::login(login_request r, reply<user_id> done) {
  ask(users_, std::move(done), login_atom::value, std::move(r));
}
void node::profile(user_id u, reply<user_profile> done) {
  ask_account(u, std::move(done), profile_atom::value);
}
void node::submit_kyc(user_id u, kyc_request r, reply<user_profile> done) {
  ask_account(u, std::move(done), kyc_atom::value, std::move(r));
}
void node::deposit(user_id u, money amount, reply<transfer> done) {
  ask_account(u, std::move(done), deposit_atom::value, amount);
}
void node::withdraw(user_id u, money amount, reply<transfer> done) {
  ask_account(u, std::move(done), withdraw_atom::value, amount);
}
void node::balance(user_id u, reply<cash_balance> done) {
  ask_account(u, std::move(done), balance_atom::value);
}
void node::place_order(user_id u, place_order_request r, std::string key, reply<order> done) {
  // Half the reply timeout: an order still queued by then is refused, not
  // placed behind the back of a client that was told it timed out.
  timestamp deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count() / 2;
  ask_account(u, std::move(done), place_atom::value, std::move(r), std::move(key), deadline);
}
void node::cancel_order(user_id u, order_id id, reply<order> done) {
  ask_account(u, std::move(done), cancel_atom::value, id);
}
void node::get_order(user_id u, order_id id, reply<order> done) {
  ask_account(u, std::move(done), order_atom::value, id);
}
void node::list_orders(user_id u, order_query q, reply<order_page> done) {
  ask_account(u, std::move(done), orders_atom::value, std::move(q));
}
void node::portfolio(user_id u, reply<portfolio_value> done) {
  auto quotes = quotes_;
  ask_account<account_holdings>(
    u,
    [quotes, done = std::move(done)](std::variant<account_holdings, rejection> r) {
      if (auto rej = std::get_if<rejection>(&r))
        return done(std::move(*rej));
      done(value_portfolio(std::get<account_holdings>(r),
                           [&](const std::string& symbol) { return quotes->quote_of(symbol); }));
    },
    portfolio_atom::value);
}
void node::funds_history(user_id u, timestamp from, timestamp to, int64_t page, int64_t limit,
                         bool statement, reply<journal_page> done) {
  ask_account(u, std::move(done), journal_atom::value, from, to, page, limit, statement);
}
void node::trades(user_id u, timestamp from, timestamp to,
                  reply<std::vector<execution_row>> done) {
  ask_account(u, std::move(done), trades_atom::value, from, to);
}
void node::tax_report(user_id u, int year, reply<broker::tax_report> done) {
  // The account's own sales, as its lots matched them: the same figures as
  // its realized P&L, opening lots included.
  auto rules = opts_.tax;
  ask_account<std::vector<realized_lot>>(
    u,
    [=, done = std::move(done)](std::variant<std::vector<realized_lot>, rejection> r) {
      if (auto rej = std::get_if<rejection>(&r))
        return done(std::move(*rej));
      done(build_tax_report(std::get<std::vector<realized_lot>>(r), year, rules));
    },
    tax_atom::value);
}

void node::notifications(user_id u, bool unread_only, int64_t page, int64_t limit,
                         reply<notification_page> done) {
  ask_account(u, std::move(done), notifications_atom::value, unread_only, page, limit);
}
void node::mark_read(user_id u, std::vector<int64_t> ids, bool all, reply<int64_t> done) {
  ask_account(u, std::move(done), notifications_atom::value, std::move(ids), all);
}
void node::performance(user_id u, int64_t days, reply<std::vector<day_value>> done) {
  const auto& cal = *calendar_;
  int64_t today = cal.local_day(clock_.now());
  int64_t first = today - days + 1;
  timestamp from = cal.day_start(first), to = clock_.now() + 1;
  int64_t offset_ns = int64_t{cal.rules().utc_offset_minutes} * ns_per_minute;
  using closes = std::map<std::string, std::map<int64_t, money>>;
  ask_account<std::vector<day_holdings>>(
    u,
    [=, done = std::move(done)](std::variant<std::vector<day_holdings>, rejection> r) {
      if (auto rej = std::get_if<rejection>(&r))
        return done(std::move(*rej));
      auto held = std::get<std::vector<day_holdings>>(std::move(r));
      std::set<std::string> symbols;
      for (auto& d : held)
        for (auto& [s, _] : d.quantities)
          symbols.insert(s);
      auto value = [=](const closes& past) {
        return value_days(held, [&](const std::string& symbol, int64_t day) -> money {
          if (day == today) // today: the latest trade
            if (auto q = quotes_->quote_of(symbol))
              return q->ltp;
          // The last close on or before the day; before any, the reference price.
          if (auto it = past.find(symbol); it != past.end()) {
            auto c = it->second.upper_bound(day);
            if (c != it->second.begin())
              return std::prev(c)->second;
          }
          auto* inst = instruments_->find(symbol);
          return inst ? inst->reference_price : 0;
        });
      };
      if (symbols.empty())
        return done(value(closes{}));
      ask<closes>(reader_,
                  [=](std::variant<closes, rejection> c) {
                    if (auto rej = std::get_if<rejection>(&c))
                      return done(std::move(*rej));
                    done(value(std::get<closes>(c)));
                  },
                  closes_atom::value, std::vector<std::string>(symbols.begin(), symbols.end()), from,
                  to, offset_ns);
    },
    performance_atom::value, first, today);
}

void node::watchlists(user_id u, reply<std::vector<watchlist>> done) {
  ask_account(u, std::move(done), watchlists_atom::value);
}
void node::watchlist_call(user_id u, watchlist_command c, reply<watchlist> done) {
  ask_account(u, std::move(done), watchlists_atom::value, std::move(c));
}

void node::halt_trading(const std::string& symbol, std::string reason, std::string operator_name,
                        reply<trading_halt> done) {
  if (!symbols_->trades(symbol)) {
    done(rejection{reject_reason::unknown_symbol, "unknown symbol " + symbol, "symbol"});
    return;
  }
  ask(desk_, std::move(done), halt_atom::value,
      trading_halt{symbol, std::move(reason), clock_.now(), std::move(operator_name)});
}

void node::resume_trading(const std::string& symbol, reply<bool> done) {
  ask(desk_, std::move(done), resume_atom::value, symbol);
}

void node::disconnect_session(uint64_t session, std::string reason, reply<bool> done) {
  auto entry = census_->find(session);
  auto handle = entry && entry->kind == actor_kind::session ? caf::actor_cast<caf::actor>(entry->address)
                                                            : caf::actor{};
  if (!handle) {
    done(rejection{reject_reason::actor_not_found, "no live session has id " + std::to_string(session), "actor"});
    return;
  }
  caf::anon_send(handle, kick_atom::value, std::move(reason));
  done(true);
}

void node::restart_exchange_link(reply<bool> done) { ask(connector_, std::move(done), relink_atom::value); }

void node::passivate_account(user_id u, reply<bool> done) {
  ask(directory_, std::move(done), passivate_atom::value, u);
}

void node::block_trading(user_id u, bool blocked, reply<user_profile> done) {
  ask_account(u, std::move(done), block_atom::value, blocked);
}

void node::operator_login(std::string name, std::string password, reply<std::string> done) {
  ask(desk_, std::move(done), login_atom::value, std::move(name), std::move(password));
}

void node::audit(audit_entry e, reply<int64_t> done) {
  ask(desk_, std::move(done), audit_atom::value, std::move(e));
}

void node::audit_log(int64_t before_id, int64_t limit, reply<std::vector<audit_entry>> done) {
  ask(desk_, std::move(done), audit_atom::value, before_id, limit);
}

void node::sample_actors(std::chrono::milliseconds patience,
                         reply<std::vector<actor_sample>> done) {
  using samples = std::vector<actor_sample>;
  auto census = census_;
  auto call = make_call<samples>(std::move(done), [=](caf::event_based_actor* self, auto c) {
    struct gathering {
      samples rows;
      size_t waiting = 0;
    };
    auto g = std::make_shared<gathering>();
    for (auto& e : census->entries()) {
      actor_sample s;
      s.entry = e;
      g->rows.push_back(std::move(s));
    }
    auto finish_one = [=] {
      if (--g->waiting > 0)
        return;
      for (auto& s : g->rows) // the gauges after the depths: never older than them
        s.read_gauge(census->now_ns());
      c->answer(std::move(g->rows));
    };
    g->waiting = g->rows.size() + 1; // + 1: held until every request is out
    for (size_t i = 0; i < g->rows.size(); ++i) {
      auto a = caf::actor_cast<caf::actor>(g->rows[i].entry.address);
      if (!a) {
        finish_one();
        continue;
      }
      // caf::duration, not a std::chrono one: CAF 0.17 drops the priority
      // of a request given a std::chrono timeout (CAF-0.17-NOTES).
      self->request<caf::message_priority::high>(a, caf::duration{patience}, stats_atom::value)
        .then([=](uint64_t depth) {
                g->rows[i].mailbox = static_cast<int64_t>(depth);
                finish_one();
              },
              [=](caf::error&) { finish_one(); });
    }
    finish_one();
  });
  call->deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count();
  send_call(gateway_for(next_gateway_++), std::move(call));
}

void node::inspect_actor(uint64_t id, std::chrono::milliseconds patience, reply<actor_view> done) {
  auto entry = census_->find(id);
  auto handle = entry ? caf::actor_cast<caf::actor>(entry->address) : caf::actor{};
  if (!handle) {
    done(rejection{reject_reason::actor_not_found, "no live actor has id " + std::to_string(id), "id"});
    return;
  }
  auto census = census_;
  auto call = make_call<actor_view>(std::move(done), [=](caf::event_based_actor* self, auto c) {
    auto view = std::make_shared<actor_view>();
    view->sample.entry = *entry;
    auto deadline = caf::duration{patience};
    self->request<caf::message_priority::high>(handle, deadline, stats_atom::value)
      .then(
        [=](uint64_t depth) {
          view->sample.mailbox = static_cast<int64_t>(depth);
          self->request<caf::message_priority::high>(handle, deadline, inspect_atom::value)
            .then(
              [=](std::string& state) {
                view->state = std::move(state);
                view->sample.read_gauge(census->now_ns());
                c->answer(std::move(*view));
              },
              [=](caf::error& e) {
                if (e == caf::sec::unexpected_message) { // a kind with no state to show
                  view->sample.read_gauge(census->now_ns());
                  c->answer(std::move(*view));
                  return;
                }
                c->answer(e);
              });
        },
        [=](caf::error& e) { c->answer(e); });
  });
  call->deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count();
  send_call(gateway_for(next_gateway_++), std::move(call));
}

namespace {

using beat_atom = caf::atom_constant<caf::atom("beat")>;

// Spawned with its arguments: CAF 0.17 binding a function of `self` alone
// trips UBSan (a null reference to its empty argument tuple).
caf::behavior ticker(caf::event_based_actor* self, std::chrono::milliseconds interval,
                     std::function<void()> tick) {
  self->delayed_send(self, interval, beat_atom::value);
  return {[=](beat_atom) {
    tick();
    self->delayed_send(self, interval, beat_atom::value);
  }};
}

} // namespace

std::shared_ptr<void> node::every(std::chrono::milliseconds interval, std::function<void()> tick) {
  auto beat = sys_.spawn(ticker, interval, std::move(tick));
  return std::shared_ptr<void>(nullptr, [beat](void*) { caf::anon_send_exit(beat, caf::exit_reason::user_shutdown); });
}

int node::current_tax_year() const {
  auto today = civil_from_days(calendar_->local_day(clock_.now()));
  auto year = static_cast<int>(today.year);
  return today.month < opts_.tax.year_start_month ? year - 1 : year;
}

template <class T, class... Ts>
void node::ask_symbol(const std::string& symbol, reply<T> done, Ts... args) {
  auto actor = symbols_->of(symbol);
  if (!actor) {
    done(rejection{reject_reason::unknown_symbol, "unknown symbol " + symbol, "symbol"});
    return;
  }
  ask(actor, std::move(done), args...);
}

void node::get_candles(const std::string& symbol, timestamp from, timestamp to,
                       reply<std::vector<candle>> done) {
  timestamp today = calendar_->session_start(clock_.now());
  if (from >= today) { // this trading day: the symbol actor has it all, its open minute too
    ask_symbol(symbol, std::move(done), candles_atom::value, from, to);
    return;
  }
  auto live = symbols_->of(symbol);
  if (!live) {
    done(rejection{reject_reason::unknown_symbol, "unknown symbol " + symbol, "symbol"});
    return;
  }
  // Past days from the store, then today from the symbol actor.
  caf::actor reader = reader_;
  using candles = std::vector<candle>;
  auto call = make_call<candles>(std::move(done), [=](caf::event_based_actor* self, auto c) {
    self->request(reader, caf::infinite, candles_atom::value, symbol, from, std::min(to, today))
      .then(
        [=](candles& past) {
          if (to <= today) {
            c->answer(std::move(past));
            return;
          }
          self->request(live, caf::infinite, candles_atom::value, today, to)
            .then(
              [=](candles& recent) mutable {
                auto all = past;
                all.insert(all.end(), recent.begin(), recent.end());
                c->answer(std::move(all));
              },
              [=](caf::error& e) { c->answer(e); });
        },
        [=](caf::error& e) { c->answer(e); });
  });
  call->deadline = clock_.now() + std::chrono::nanoseconds{opts_.request_timeout}.count();
  send_call(gateway_for(next_gateway_++), std::move(call));
}

void node::create_alert(user_id u, alert_request r, reply<price_alert> done) {
  ask_account(u, std::move(done), alert_atom::value, std::move(r));
}
void node::cancel_alert(user_id u, int64_t id, reply<price_alert> done) {
  ask_account(u, std::move(done), unalert_atom::value, id);
}
void node::list_alerts(user_id u, reply<std::vector<price_alert>> done) {
  ask_account(u, std::move(done), alerts_atom::value);
}

void node::get_movers(bool gainers, int64_t limit, reply<std::vector<quote>> done) {
  ask(board_, std::move(done), movers_atom::value, gainers, limit);
}

void node::get_indices(reply<std::vector<index_value>> done) {
  ask(board_, std::move(done), indices_atom::value);
}

void node::get_quote(const std::string& symbol, reply<quote> done) {
  ask_symbol(symbol, std::move(done), quote_atom::value);
}

std::shared_ptr<frame_handler> node::open_session(std::shared_ptr<frame_sink> sink,
                                                  token_verifier verify) {
  session_services services{directory_, quotes_,
                           fanouts_[next_fanout_++ % fanouts_.size()], connections_, counters_,
                           opts_.instrument_actors ? census_ : nullptr};
  return broker::open_session(sys_, std::move(services), opts_.sessions, std::move(sink),
                              std::move(verify));
}

} // namespace broker
