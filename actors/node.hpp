#pragma once
// One broker node: spawns the actor tree from what the store holds and gives
// edge/ an asynchronous API that hides CAF. Each call goes through one of a
// few gateway actors (actors/gateway.hpp), which asks the user's account (or
// the directory first, for an account not yet known here) and runs `done`
// exactly once, on a CAF worker thread.
//
// The outside world (exchange, KYC provider, payment gateway) is passed in as
// actors, so this layer does not depend on sim/.
#include <atomic>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/exchange_connector.hpp"
#include "actors/gateway.hpp"
#include "actors/market_board.hpp"
#include "actors/messages.hpp"
#include "actors/operator_desk.hpp"
#include "actors/persistence.hpp"
#include "actors/session.hpp"
#include "actors/symbol.hpp"
#include "actors/trading_halts.hpp"
#include "actors/users.hpp"
#include "protocol/clock.hpp"
#include "protocol/frames.hpp"
#include "protocol/fees.hpp"
#include "protocol/instruments.hpp"
#include "protocol/lots.hpp"
#include "protocol/tax_report.hpp"
#include "protocol/market_calendar.hpp"
#include "storage/store.hpp"

namespace broker {

struct outside_services {
  caf::actor exchange;
  caf::actor kyc_provider;
  caf::actor payment_gateway;
  // Opens a new exchange link when the current one dies (may be empty: then
  // orders wait for good). See exchange_connector.hpp.
  std::function<caf::actor()> reopen_exchange;
  std::string exchange_link = "in-process"; // what kind of link, for logs and operators
  bool exchange_reports_market_data = false; // see connector_options::link_reports_market_data
};

struct node_options {
  users_options users;
  persistence_options persistence;
  std::chrono::seconds request_timeout{30};
  size_t gateways = 4; // actors carrying calls in; a user's calls always use the same one
  gateway_options gateway;
  symbol_options symbols;
  size_t quote_fanouts = 2; // beat actors waking sessions; sessions are spread over them
  session_options sessions;
  std::vector<index_definition> indices; // config/indices.csv
  // Accounting: charges on fills, T+N settlement, cost basis of sales.
  fee_schedule fees;
  int settlement_days = 1;
  cost_basis_method cost_basis = cost_basis_method::fifo;
  tax_rules tax; // long-term threshold, tax year start
  // The exchange connector's checks for stuck orders (its link, reopen and
  // status are the node's own).
  connector_options connector;
  // Where every long-lived actor enrolls, for the operator console. Null: the
  // node makes one on the steady clock (a simulation passes one on its own).
  std::shared_ptr<actor_census> census;
  bool instrument_actors = true; // false: the census stays empty (to measure its cost)
  operator_desk_options desk;
};

template <class T>
using reply = std::function<void(std::variant<T, rejection>)>;

class node {
public:
  // Loads the store and starts the actors. The exchange is attached last and
  // reconciles every order the books still hold as working.
  node(caf::actor_system& sys, std::shared_ptr<store> db,
       std::shared_ptr<const instrument_table> instruments,
       std::shared_ptr<const market_calendar> calendar, const utc_clock& clock,
       outside_services outside, node_options opts);
  ~node(); // sends every actor it spawned an exit; see stop()
  // Orderly stop for a running server (not on the test scheduler: it blocks):
  // the exchange and sessions' accounts first, then persistence, which flushes
  // what it holds before it exits. Waits at most `timeout`.
  void stop(std::chrono::seconds timeout);
  // For simulations: the process dies. Every actor is killed at once (CAF's
  // kill: no exit handler runs), so nothing uncommitted is flushed.
  void kill_all();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  void signup(signup_request r, reply<user_id> done);
  void login(login_request r, reply<user_id> done);
  void profile(user_id u, reply<user_profile> done);
  void submit_kyc(user_id u, kyc_request r, reply<user_profile> done);
  void deposit(user_id u, money amount, reply<transfer> done);
  void withdraw(user_id u, money amount, reply<transfer> done);
  void balance(user_id u, reply<cash_balance> done);
  void place_order(user_id u, place_order_request r, std::string idempotency_key, reply<order> done);
  void cancel_order(user_id u, order_id id, reply<order> done);
  void get_order(user_id u, order_id id, reply<order> done);
  void list_orders(user_id u, order_query q, reply<order_page> done);
  // Holdings, positions and totals marked to the latest prices.
  void portfolio(user_id u, reply<portfolio_value> done);
  // The user's journal entries with `at` in [from, to), newest first, one
  // page; `statement`: only those that moved the user's total (transactions).
  void funds_history(user_id u, timestamp from, timestamp to, int64_t page, int64_t limit,
                     bool statement, reply<journal_page> done);
  // The user's fills (with their charges) in [from, to), oldest first.
  void trades(user_id u, timestamp from, timestamp to, reply<std::vector<execution_row>> done);
  // Capital gains of sales in tax `year`, lot by lot, as the account's lots
  // (configured cost-basis method) matched them.
  void tax_report(user_id u, int year, reply<broker::tax_report> done);
  int current_tax_year() const;
  // The user's notifications, newest first; marking some (or all) read
  // answers how many stay unread.
  void notifications(user_id u, bool unread_only, int64_t page, int64_t limit,
                     reply<notification_page> done);
  void mark_read(user_id u, std::vector<int64_t> ids, bool all, reply<int64_t> done);
  // The account's value at the end of each of the last `days` local days
  // (today at the latest prices), for the performance chart.
  void performance(user_id u, int64_t days, reply<std::vector<day_value>> done);
  void watchlists(user_id u, reply<std::vector<watchlist>> done);
  void watchlist_call(user_id u, watchlist_command c, reply<watchlist> done);
  // The symbol's quote; unknown_symbol for one not in the instrument table.
  void get_quote(const std::string& symbol, reply<quote> done);
  // The symbol's one-minute candles starting in [from, to): past trading days
  // from the store, this one from the symbol actor.
  void get_candles(const std::string& symbol, timestamp from, timestamp to,
                   reply<std::vector<candle>> done);
  void create_alert(user_id u, alert_request r, reply<price_alert> done);
  void cancel_alert(user_id u, int64_t id, reply<price_alert> done);
  void list_alerts(user_id u, reply<std::vector<price_alert>> done);
  // Top gainers (or losers) by change percent; at most `limit`.
  void get_movers(bool gainers, int64_t limit, reply<std::vector<quote>> done);
  void get_indices(reply<std::vector<index_value>> done);
  const market_calendar& calendar() const { return *calendar_; }
  const utc_clock& clock() const { return clock_; }

  std::shared_ptr<frame_handler> open_session(std::shared_ptr<frame_sink> sink, token_verifier verify);

  const instrument_table& instruments() const { return *instruments_; }
  caf::actor directory() const { return directory_; }
  caf::actor persistence() const { return persistence_; }
  caf::actor connector() const { return connector_; }
  caf::actor users() const { return users_; }
  const symbol_actors& symbols() const { return *symbols_; }
  const market_counters& counters() const { return *counters_; }
  const exchange_link_status& exchange_status() const { return *exchange_status_; }
  const latest_quotes& quotes() const { return *quotes_; }
  // Null unless node_options::persistence.timings was set.
  const std::shared_ptr<commit_timings>& commit_times() const { return opts_.persistence.timings; }
  // Operators (actors/operator_desk.hpp). New orders in a halted symbol are
  // refused symbol_halted. A halt is stored before it takes effect and
  // outlives a restart; unknown_symbol for a symbol not traded here.
  void halt_trading(const std::string& symbol, std::string reason, std::string operator_name,
                    reply<trading_halt> done);
  void resume_trading(const std::string& symbol, reply<bool> done); // false: was not halted
  const trading_halts& halts() const { return *halts_; }
  // The operator's name, or invalid_credentials.
  void operator_login(std::string name, std::string password, reply<std::string> done);
  void audit(audit_entry e, reply<int64_t> done); // appended before the answer
  void audit_log(int64_t before_id, int64_t limit, reply<std::vector<audit_entry>> done);
  // Operators' other actions. A session is closed with the reason (its
  // client sees it in the close frame); actor_not_found unless `session` is
  // a live session's id.
  void disconnect_session(uint64_t session, std::string reason, reply<bool> done);
  // The exchange link goes down as if dropped, is reopened after the
  // back-off and reconciles. False: there was no link to restart.
  void restart_exchange_link(reply<bool> done);
  // The account actor stops until its next use (then read from the store);
  // false when it is not live or is busy committing.
  void passivate_account(user_id u, reply<bool> done);
  // While blocked, new orders are refused trading_blocked; stored.
  void block_trading(user_id u, bool blocked, reply<user_profile> done);
  const std::shared_ptr<actor_census>& census() const { return census_; }
  // Every enrolled actor with its mailbox depth, asked at high priority so a
  // backlog does not delay the answer; an actor silent for `patience` is
  // shown with mailbox -1.
  void sample_actors(std::chrono::milliseconds patience, reply<std::vector<actor_sample>> done);
  // One actor's sample and its state as a JSON object ("" for a kind that
  // keeps none worth showing), asked at high priority; actor_not_found when
  // no live actor has the id.
  struct actor_view {
    actor_sample sample;
    std::string state;
  };
  void inspect_actor(uint64_t id, std::chrono::milliseconds patience, reply<actor_view> done);
  // Runs `tick` on a worker every `interval` (the actor clock's), first after
  // one interval, until the returned handle is dropped. For the console's
  // live feed; `tick` must not block.
  std::shared_ptr<void> every(std::chrono::milliseconds interval, std::function<void()> tick);

private:
  void exit_all(caf::exit_reason why);
  template <class T, class... Ts>
  void ask_account(user_id u, reply<T> done, Ts... args);
  caf::actor cached_account(user_id u);
  void remember_account(user_id u, caf::actor a);
  void forget_account(user_id u);
  template <class T, class... Ts>
  void ask(caf::actor dest, reply<T> done, Ts... args);
  const caf::actor& gateway_for(uint64_t key) const;
  // Asks the symbol's actor; answers unknown_symbol for one not traded here.
  template <class T, class... Ts>
  void ask_symbol(const std::string& symbol, reply<T> done, Ts... args);

  caf::actor_system& sys_;
  const utc_clock& clock_;
  std::shared_ptr<const instrument_table> instruments_;
  std::shared_ptr<latest_quotes> quotes_; // every symbol's latest quote, for sessions
  std::shared_ptr<const symbol_actors> symbols_;
  std::shared_ptr<const market_calendar> calendar_;
  std::shared_ptr<connection_count> connections_;
  std::shared_ptr<market_counters> counters_;
  std::shared_ptr<exchange_link_status> exchange_status_;
  std::shared_ptr<trading_halts> halts_ = std::make_shared<trading_halts>();
  std::shared_ptr<actor_census> census_;
  // Account handles, so a call is one hop to the account, not two. Read from
  // edge threads and bridge actors alike, hence the mutex. Shared with each
  // cached account, which takes itself out when it dies: a call made after
  // that goes through the directory (which reloads the account) instead of
  // failing on a dead handle.
  struct account_cache {
    std::mutex mutex;
    std::unordered_map<user_id, caf::actor> accounts;
  };
  std::shared_ptr<account_cache> accounts_ = std::make_shared<account_cache>();
  node_options opts_;
  outside_services outside_;
  caf::actor persistence_, reader_, connector_, directory_, users_, desk_;
  std::vector<caf::actor> gateways_;
  caf::actor board_;
  std::vector<caf::actor> fanouts_;
  std::atomic<uint64_t> next_fanout_{0};
  std::atomic<uint64_t> next_gateway_{0}; // round robin for calls not tied to a user
};

} // namespace broker
