#include "actors/account.hpp"
#include "actors/instrumented_behavior.hpp"

#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/views.hpp"
#include "actors/watchlist_book.hpp"

namespace broker {

namespace {

struct account_state {
  std::unique_ptr<account_book> book;
  std::unique_ptr<watchlist_book> watchlists;
  std::shared_ptr<const account_env> env;
  std::set<caf::actor> watchers; // sessions following this account
  int commits_in_flight = 0;      // batches handed to persistence, not yet answered
  // Changes that already happened (a fill, a finished transfer) whose commit
  // failed, and what waits for them to be durable (answers, pushes).
  // Invariant: they go first in the account's next commit, so the store never
  // holds a newer state of a row followed by an older one.
  write_batch unwritten;
  std::vector<std::function<void()>> once_written;
  bool retry_armed = false;
  static inline const char* name = "account";
};

using account_ptr = caf::stateful_actor<account_state>*;

caf::error unavailable() {
  return to_error(rejection{reject_reason::storage_unavailable,
                            "temporarily unavailable: the books could not be written, try again",
                            {}});
}

template <class T>
void push(account_ptr self, const T& update) {
  for (auto& w : self->state.watchers)
    self->send(w, push_atom::value, update);
}

// Hands a batch to persistence; `done` runs once it has committed (ok) or failed.
// What earlier failed writes left unwritten goes first in the same batch; if
// it fails again, that part is kept for the next commit, whatever `done` does.
// Notifications in a batch are pushed to the user's sessions once they are
// durable, and forgotten if the batch failed (a retry writes them again).
// `done` is held once, shared by both reply handlers: it often carries an
// order or a batch, and CAF copies handlers as it stores them.
template <class Done>
void commit(account_ptr self, write_batch batch, Done done) {
  auto& st = self->state;
  ++st.commits_in_flight;
  struct pending {
    Done done;
    std::vector<notification> notes; // copied only when someone is watching
    std::shared_ptr<write_batch> carried; // the unwritten rows that went first
    std::vector<std::function<void()>> carried_then;
  };
  std::shared_ptr<write_batch> carried;
  if (!st.unwritten.empty()) {
    carried = std::make_shared<write_batch>(st.unwritten);
    write_batch first = std::move(st.unwritten);
    first.append(std::move(batch));
    batch = std::move(first);
    st.unwritten = write_batch{};
  }
  auto p = std::make_shared<pending>(pending{std::move(done),
                                             st.watchers.empty() ? std::vector<notification>{} : batch.notifications,
                                             std::move(carried), std::move(st.once_written)});
  st.once_written.clear();
  if (st.env->stamp_handover)
    batch.handed_over = std::chrono::steady_clock::now();
  self->request(st.env->persistence, caf::infinite, commit_atom::value, std::move(batch))
    .then(
      [self, p](caf::ok_atom) {
        --self->state.commits_in_flight;
        for (auto& n : p->notes)
          push(self, n);
        for (auto& then : p->carried_then)
          then();
        p->done(true);
      },
      [self, p](caf::error&) {
        auto& st = self->state;
        --st.commits_in_flight;
        if (p->carried) { // still unwritten: before anything failed since
          p->carried->append(std::move(st.unwritten));
          st.unwritten = std::move(*p->carried);
          p->carried_then.insert(p->carried_then.end(), std::make_move_iterator(st.once_written.begin()),
                                 std::make_move_iterator(st.once_written.end()));
          st.once_written = std::move(p->carried_then);
        }
        p->done(false);
      });
}

constexpr auto write_retry_delay = std::chrono::seconds{1};

void arm_write_retry(account_ptr self) {
  if (self->state.retry_armed || self->state.unwritten.empty())
    return;
  self->state.retry_armed = true;
  self->delayed_send(self, write_retry_delay, retry_write_atom::value);
}

// For changes that already happened (a fill, an undo): they must reach the
// store, so a failed commit is retried until it lands. `then` runs once
// durable, however many tries it takes.
template <class Then>
void commit_until_durable(account_ptr self, write_batch batch, Then then) {
  auto retry = std::make_shared<write_batch>(batch);
  commit(self, std::move(batch), [self, retry, then = std::move(then)](bool ok) mutable {
    if (ok)
      return then();
    // Rows are latest-state upserts and insert-once executions: writing them
    // again is safe. They go ahead of whatever the account writes next, after
    // the older ones still unwritten (the failed commit put those back).
    auto& st = self->state;
    st.unwritten.append(std::move(*retry));
    st.once_written.emplace_back(std::move(then));
    arm_write_retry(self);
  });
}

void write_behind(account_ptr self, write_batch batch) {
  if (!batch.empty())
    commit_until_durable(self, std::move(batch), [] {});
}

// Answers reads only with what is durable: if writes are still in flight, wait
// for them (persistence answers in order, so an empty commit is a barrier).
template <class T, class Read>
caf::result<T> when_durable(account_ptr self, Read read) {
  if (self->state.commits_in_flight == 0)
    return read();
  auto rp = self->make_response_promise<T>();
  commit(self, write_batch{}, [=](bool) mutable { rp.deliver(read()); });
  return rp;
}

timestamp now(account_ptr self) { return self->state.env->clock->now(); }

// Proceeds whose settlement day has come become withdrawable. Done lazily,
// before any command or read that could see them (no timer per account);
// it already happened, so it is written until durable, ahead of the command.
void settle(account_ptr self) {
  auto& book = *self->state.book;
  if (!book.settlement_due(now(self)))
    return; // the common case: no batch built
  write_batch batch;
  book.settle_due(now(self), batch);
  write_behind(self, std::move(batch));
}

// The usual shape of a command: the book decided `out` (a value, or a
// rejection answered at once) and wrote its rows to `batch`. The client is
// answered only once they are durable: `durable(value)` runs and the value is
// the answer; if the commit fails, `undo(value)` puts the book back and the
// answer is 503.
template <class T, class Undo, class Durable>
caf::result<T> answer_when_durable(account_ptr self, std::variant<T, rejection> out,
                                   write_batch batch, Undo undo, Durable durable) {
  if (auto rej = std::get_if<rejection>(&out))
    return to_error(*rej);
  auto value = std::get<T>(std::move(out));
  auto rp = self->make_response_promise<T>();
  commit(self, std::move(batch), [=](bool ok) mutable {
    if (!ok) {
      undo(value);
      rp.deliver(unavailable());
      return;
    }
    durable(value);
    rp.deliver(value);
  });
  return rp;
}

order_page list_orders(account_ptr self, const order_query& q) {
  order_page page;
  auto wanted = parse_order_status(q.status);
  int64_t skip = (q.page - 1) * q.limit;
  auto& all = self->state.book->orders();
  for (auto it = all.rbegin(); it != all.rend(); ++it) { // ids grow: newest first
    if (wanted && it->second.status != *wanted)
      continue;
    if (page.total++ < skip || static_cast<int64_t>(page.orders.size()) >= q.limit)
      continue;
    page.orders.push_back(it->second);
  }
  return page;
}

constexpr auto kyc_retry_delay = std::chrono::seconds{5};

// Asks the KYC provider about the PENDING application on file. Used after a
// restart and when the provider could not be reached: a PENDING status always
// has a check under way, so the user is never stuck.
void recheck_kyc(account_ptr self) {
  const auto& p = self->state.book->profile();
  if (p.kyc != kyc_status::pending)
    return;
  self->request(self->state.env->kyc_provider, caf::infinite, verify_atom::value, p.id,
                kyc_request{p.pan, p.date_of_birth, p.address})
    .then(
      [=](const kyc_verdict& v) {
        if (!v.final || self->state.book->profile().kyc != kyc_status::pending)
          return; // the verdict follows as a verdict_atom message
        write_batch batch;
        self->state.book->record_kyc_verdict(v.verified, v.reason, batch);
        write_behind(self, std::move(batch));
      },
      [=](caf::error&) { self->delayed_send(self, kyc_retry_delay, verify_atom::value); });
}

// Asks the payment gateway to move a PENDING transfer's money, then writes
// the outcome (retrying until durable: the money has moved) and only then
// runs `done` with it. The gateway is idempotent by (user, transfer id), so
// asking again after a restart returns the first answer, never a second payment.
template <class Done>
void settle_transfer(account_ptr self, transfer t, Done done) {
  auto finish = [=](bool ok, const std::string& detail) {
    write_batch batch;
    auto& book = *self->state.book;
    auto fin = t.kind == transfer_kind::deposit
                 ? book.finish_deposit(t.id, ok, detail, now(self), batch)
                 : book.finish_withdrawal(t.id, ok, detail, now(self), batch);
    commit_until_durable(self, std::move(batch), [=]() mutable {
      push(self, self->state.book->cash());
      done(fin);
    });
  };
  auto ask = t.kind == transfer_kind::deposit ? caf::make_message(collect_atom::value, t.user, t.id, t.amount)
                                              : caf::make_message(payout_atom::value, t.user, t.id, t.amount);
  self->request(self->state.env->payment_gateway, caf::infinite, std::move(ask))
    .then([=](const payment_result& pay) { finish(pay.ok, pay.reference); },
          // Never reached the gateway (it is down): nothing moved.
          [=](caf::error&) { finish(false, "payment gateway unavailable"); });
}

// A deposit or withdrawal the book has begun (`batch` holds its PENDING row):
// durable first, or refused with nothing moved; then the gateway; the client
// hears the written outcome.
caf::result<transfer> move_money(account_ptr self, transfer t, write_batch batch) {
  auto rp = self->make_response_promise<transfer>();
  commit(self, std::move(batch), [=](bool ok) mutable {
    if (!ok) {
      self->state.book->forget_transfer(t.id); // not written, gateway not asked
      rp.deliver(unavailable());
      return;
    }
    settle_transfer(self, t, [=](const transfer& fin) mutable {
      if (fin.status == transfer_status::completed)
        rp.deliver(fin);
      else
        rp.deliver(to_error(rejection{reject_reason::payment_failed, fin.failure_reason, "amount"}));
    });
  });
  return rp;
}

} // namespace

// For the operator console: cash and holds, holdings, the working orders.
std::string describe(const account_state& st) {
  const auto& book = *st.book;
  json_writer w;
  w.begin_object().field("user", static_cast<int64_t>(book.profile().id)).field("email", book.profile().email);
  w.key("cash");
  write_balance(w, book.cash());
  w.key("holdings").begin_array();
  for (auto& [symbol, h] : book.holdings())
    if (h.quantity > 0)
      w.begin_object()
        .field("symbol", symbol)
        .field("quantity", h.quantity)
        .field("held", h.held_quantity)
        .end_object();
  w.end_array().key("openOrders").begin_array();
  for (auto& [id, o] : book.orders())
    if (!is_final(o.status))
      write_order(w, o);
  w.end_array()
    .field("sessionsFollowing", static_cast<int64_t>(st.watchers.size()))
    .field("commitsInFlight", st.commits_in_flight)
    .field("unwrittenRows", static_cast<int64_t>(st.unwritten.rows()))
    .field("retryArmed", st.retry_armed)
    .end_object();
  return w.take();
}

caf::behavior account_actor(account_ptr self, account_seed seed,
                            std::shared_ptr<const account_env> env, uint64_t supervisor) {
  self->state.watchlists = std::make_unique<watchlist_book>(seed.profile.id, seed.watchlists);
  self->state.book = std::make_unique<account_book>(std::move(seed), env->ids, env->rules);
  self->state.env = std::move(env);
  self->set_down_handler([=](const caf::down_msg& dm) {
    self->state.watchers.erase(caf::actor_cast<caf::actor>(dm.source));
  });
  if (self->state.book->profile().kyc == kyc_status::pending)
    self->send(self, verify_atom::value); // a check was under way when the node stopped
  // Transfers begun before a stop: their outcome is asked for again.
  for (auto& t : self->state.book->pending_transfers())
    settle_transfer(self, t, [](const transfer&) {});
  return instrumented(self, self->state.env->census, actor_kind::account,
                      std::to_string(self->state.book->profile().id), supervisor, {
    [=](inspect_atom) { return describe(self->state); },
    [=](place_atom, const place_order_request& r, const std::string& key,
        timestamp deadline) -> caf::result<order> {
      auto& st = self->state;
      settle(self);

      // The caller gave up by now (or is about to): placing it anyway would
      // make an order the client was told had failed.
      if (deadline != 0 && now(self) > deadline)
        return to_error(rejection{reject_reason::overloaded,
                                  "the broker is busy: the order was not placed, try again", {}});
      // An operator's block or halt, then the exchange being away: each
      // refused here, before anything is held or written, unless this is a
      // retry of an order already placed. The broker's own rules first: they
      // do not pass when the link comes back.
      if (st.book->profile().trading_blocked && !st.book->knows_idempotency_key(key))
        return to_error(rejection{reject_reason::trading_blocked,
                                  "this account may not place orders now (an operator blocked it); cancels, "
                                  "funds and reports go on",
                                  {}});
      if (auto halt = st.env->halts ? st.env->halts->of(r.symbol) : std::nullopt;
          halt && !st.book->knows_idempotency_key(key))
        return to_error(rejection{reject_reason::symbol_halted,
                                  "trading in " + r.symbol + " is halted (" + halt->reason
                                    + "): the order was not placed",
                                  "symbol"});
      if (st.env->exchange_status && !st.env->exchange_status->up.load() && !st.book->knows_idempotency_key(key))
        return to_error(rejection{reject_reason::exchange_unavailable,
                                  "the exchange is not reachable: the order was not placed, try again", {}});
      write_batch batch;
      auto inst = st.env->instruments->find(r.symbol);
      auto out = st.book->place(r, key, inst, st.env->calendar->is_open(now(self)), now(self), batch);
      if (auto rej = std::get_if<rejection>(&out.result))
        return to_error(*rej);
      bool replayed = out.replayed;
      auto placed = std::make_shared<const order>(std::get<order>(std::move(out.result)));
      auto rp = self->make_response_promise<order>();
      // A replay still waits for the batch ahead of it: the original may not be durable yet.
      commit(self, std::move(batch), [self, rp, placed, replayed](bool ok) mutable {
        if (replayed) {
          auto* latest = self->state.book->find(placed->id); // it may have filled since
          ok ? rp.deliver(latest ? *latest : *placed) : rp.deliver(unavailable());
          return;
        }
        if (!ok) {
          write_batch undo;
          self->state.book->abandon(placed->id, undo);
          write_behind(self, std::move(undo));
          rp.deliver(unavailable());
          return;
        }
        // Durable: now the client hears of it and the exchange sees it.
        rp.deliver(*placed);
        push(self, *placed);
        self->send(self->state.env->connector, new_order_atom::value, *placed);
      });
      return rp;
    },
    [=](cancel_atom, order_id id) -> caf::result<order> {
      auto& st = self->state;
      const order* before = st.book->find(id);
      if (!before)
        return to_error(rejection{reject_reason::order_not_found, "no such order", {}});
      auto previous = before->status;
      write_batch batch;
      auto out = st.book->request_cancel(id, now(self), batch);
      if (auto rej = std::get_if<rejection>(&out))
        return to_error(*rej);
      auto o = std::get<order>(out);
      if (previous == order_status::pending_cancel)
        return o; // the cancel is already on its way
      auto rp = self->make_response_promise<order>();
      commit(self, std::move(batch), [=](bool ok) mutable {
        if (!ok) {
          write_batch undo;
          self->state.book->undo_cancel(id, previous, undo);
          rp.deliver(unavailable());
          return;
        }
        rp.deliver(o);
        push(self, o);
        self->send(self->state.env->connector, cancel_order_atom::value, id, o.symbol, o.user);
      });
      return rp;
    },
    [=](const execution_report& r) {
      settle(self);
      write_batch batch;
      if (auto changed = self->state.book->apply_report(r, now(self), batch)) {
        // Sessions hear of a fill only once it is durable: what a client was
        // shown survives a crash.
        bool traded = r.kind == exec_kind::trade;
        commit_until_durable(self, std::move(batch), [=, o = *changed] {
          push(self, o);
          push(self, self->state.book->cash());
          if (traded && !self->state.watchers.empty()) // the portfolio channel revalues
            push(self, self->state.book->holdings_at(now(self)));
        });
      }
    },
    [=](retry_write_atom) {
      self->state.retry_armed = false;
      if (!self->state.unwritten.empty()) // an empty commit carries what is unwritten
        commit(self, write_batch{}, [self](bool) { arm_write_retry(self); });
    },
    [=](order_atom, order_id id) -> caf::result<order> {
      if (!self->state.book->find(id))
        return to_error(rejection{reject_reason::order_not_found, "no such order", {}});
      return when_durable<order>(self, [=] { return *self->state.book->find(id); });
    },
    [=](orders_atom, const order_query& q) -> caf::result<order_page> {
      return when_durable<order_page>(self, [=] { return list_orders(self, q); });
    },
    [=](balance_atom) -> caf::result<cash_balance> {
      settle(self);
      return when_durable<cash_balance>(self, [=] { return self->state.book->cash(); });
    },
    [=](portfolio_atom) -> caf::result<account_holdings> {
      settle(self);
      return when_durable<account_holdings>(self,
                                            [=] { return self->state.book->holdings_at(now(self)); });
    },
    [=](profile_atom) -> caf::result<user_profile> {
      return when_durable<user_profile>(self, [=] { return self->state.book->profile(); });
    },

    [=](deposit_atom, money amount) -> caf::result<transfer> {
      settle(self);
      write_batch batch;
      auto t = self->state.book->begin_deposit(amount, now(self), batch);
      return move_money(self, t, std::move(batch));
    },
    [=](withdraw_atom, money amount) -> caf::result<transfer> {
      settle(self);
      write_batch batch;
      auto started = self->state.book->begin_withdrawal(amount, now(self), batch);
      if (auto rej = std::get_if<rejection>(&started))
        return to_error(*rej);
      return move_money(self, std::get<transfer>(started), std::move(batch));
    },
    // Passivation: stops now unless something waits for a commit (then false).
    [=](passivate_atom) {
      auto& st = self->state;
      if (st.commits_in_flight > 0 || !st.unwritten.empty() || !st.once_written.empty())
        return false;
      self->quit();
      return true;
    },
    [=](block_atom, bool blocked) -> caf::result<user_profile> {
      write_batch batch;
      bool before = self->state.book->profile().trading_blocked;
      auto out = self->state.book->set_trading_blocked(blocked, batch);
      return answer_when_durable<user_profile>(
        self, std::variant<user_profile, rejection>{out}, std::move(batch),
        [=](const user_profile&) {
          write_batch ignored;
          self->state.book->set_trading_blocked(before, ignored);
        },
        [](const user_profile&) {});
    },
    [=](kyc_atom, const kyc_request& r) -> caf::result<user_profile> {
      write_batch batch;
      auto out = self->state.book->submit_kyc(r, now(self), batch);
      if (auto rej = std::get_if<rejection>(&out))
        return to_error(*rej);
      auto rp = self->make_response_promise<user_profile>();
      auto user = self->state.book->profile().id;
      self->request(self->state.env->kyc_provider, caf::infinite, verify_atom::value, user, r)
        .then(
          [=](const kyc_verdict& v) mutable {
            write_batch b = batch;
            if (v.final)
              self->state.book->record_kyc_verdict(v.verified, v.reason, b);
            commit(self, std::move(b), [=](bool ok) mutable {
              ok ? rp.deliver(self->state.book->profile()) : rp.deliver(unavailable());
            });
          },
          [=](caf::error&) mutable {
            // The provider is down: stay PENDING and keep asking until it answers.
            commit(self, batch, [=](bool ok) mutable {
              ok ? rp.deliver(self->state.book->profile()) : rp.deliver(unavailable());
            });
            self->delayed_send(self, kyc_retry_delay, verify_atom::value);
          });
      return rp;
    },
    [=](verify_atom) { recheck_kyc(self); },
    [=](verdict_atom, const kyc_verdict& v) {
      if (self->state.book->profile().kyc != kyc_status::pending)
        return;
      write_batch batch;
      self->state.book->record_kyc_verdict(v.verified, v.reason, batch);
      write_behind(self, std::move(batch));
    },
    [=](alert_atom, const alert_request& r) -> caf::result<price_alert> {
      auto& st = self->state;
      write_batch batch;
      auto out = st.book->create_alert(r, st.env->instruments->find(r.symbol), now(self), batch);
      return answer_when_durable<price_alert>(
        self, std::move(out), std::move(batch),
        [=](const price_alert& a) { self->state.book->forget_alert(a.id); },
        [=](const price_alert& a) {
          // Durable first, then armed: a fired alert always has a row to mark.
          self->send(self->state.env->symbols->of(a.symbol), alert_atom::value, a);
        });
    },
    [=](unalert_atom, int64_t id) -> caf::result<price_alert> {
      auto& st = self->state;
      auto it = st.book->alerts().find(id);
      auto before = it == st.book->alerts().end() ? price_alert{} : it->second;
      write_batch batch;
      auto out = st.book->cancel_alert(id, now(self), batch);
      return answer_when_durable<price_alert>(
        self, std::move(out), std::move(batch),
        [=](const price_alert&) { self->state.book->restore_alert(before); },
        [=](const price_alert& a) {
          self->send(self->state.env->symbols->of(a.symbol), unalert_atom::value, a.user, a.id);
        });
    },
    [=](alerts_atom) -> caf::result<std::vector<price_alert>> {
      return when_durable<std::vector<price_alert>>(self, [=] {
        std::vector<price_alert> all;
        for (auto& [_, a] : self->state.book->alerts())
          all.push_back(a);
        return all;
      });
    },
    [=](fired_atom, int64_t id, money price, timestamp at) {
      write_batch batch;
      if (auto a = self->state.book->trigger_alert(id, price, at, batch))
        commit_until_durable(self, std::move(batch), [=, fired = *a] { push(self, fired); });
    },
    [=](journal_atom, timestamp from, timestamp to, int64_t page, int64_t limit,
        bool statement) -> caf::result<journal_page> {
      settle(self);
      return when_durable<journal_page>(
        self, [=] { return self->state.book->journal_between(from, to, page, limit, statement); });
    },
    [=](performance_atom, int64_t first_day,
        int64_t last_day) -> caf::result<std::vector<day_holdings>> {
      settle(self);
      return when_durable<std::vector<day_holdings>>(
        self, [=] { return self->state.book->holdings_by_day(first_day, last_day); });
    },
    [=](tax_atom) -> caf::result<std::vector<realized_lot>> {
      return when_durable<std::vector<realized_lot>>(
        self, [=] { return self->state.book->realized_lots(); });
    },
    [=](trades_atom, timestamp from, timestamp to) -> caf::result<std::vector<execution_row>> {
      return when_durable<std::vector<execution_row>>(
        self, [=] { return self->state.book->trades_between(from, to); });
    },
    [=](notifications_atom, bool unread_only, int64_t page,
        int64_t limit) -> caf::result<notification_page> {
      return when_durable<notification_page>(
        self, [=] { return self->state.book->notifications_page(unread_only, page, limit); });
    },
    [=](notifications_atom, const std::vector<int64_t>& ids, bool all) -> caf::result<int64_t> {
      write_batch batch;
      auto out = self->state.book->mark_read(ids, all, batch);
      if (auto rej = std::get_if<rejection>(&out))
        return to_error(*rej);
      // Marking read is not undone if the write fails: the next mark (or
      // restart, which reads the store) settles it; the client is told 503.
      return answer_when_durable<int64_t>(self, std::move(out), std::move(batch),
                                          [](int64_t) {}, [](int64_t) {});
    },
    [=](watchlists_atom) -> caf::result<std::vector<watchlist>> {
      return when_durable<std::vector<watchlist>>(self, [=] { return self->state.watchlists->lists(); });
    },
    [=](watchlists_atom, const watchlist_command& c) -> caf::result<watchlist> {
      auto& lists = *self->state.watchlists;
      auto& instruments = *self->state.env->instruments;
      auto got = lists.get(c.id);
      if (c.verb == watchlist_command::get) {
        if (auto rej = std::get_if<rejection>(&got))
          return to_error(*rej);
        return when_durable<watchlist>(self, [got] { return std::get<watchlist>(got); });
      }
      // What to put back if the change is not written.
      std::optional<watchlist> before;
      if (auto* w = std::get_if<watchlist>(&got))
        before = std::move(*w);
      write_batch batch;
      std::variant<watchlist, rejection> out = rejection{};
      switch (c.verb) {
        case watchlist_command::create:
          out = lists.create(c.name.value_or(""), c.symbols.value_or(std::vector<std::string>{}),
                             instruments, now(self), batch);
          break;
        case watchlist_command::update:
          out = lists.update(c.id, c.name, c.symbols, instruments, now(self), batch);
          break;
        case watchlist_command::add:
          out = lists.add(c.id, c.symbols.value_or(std::vector<std::string>{}), instruments,
                          now(self), batch);
          break;
        case watchlist_command::remove_symbol:
          out = lists.remove_symbol(c.id, c.symbol, now(self), batch);
          break;
        case watchlist_command::remove:
          out = lists.remove(c.id, now(self), batch);
          break;
        case watchlist_command::get:
          break;
      }
      return answer_when_durable<watchlist>(
        self, std::move(out), std::move(batch),
        [=](const watchlist& w) { self->state.watchlists->restore(before, w.id); },
        [](const watchlist&) {});
    },
    [=](watch_atom, const caf::actor& session) {
      if (self->state.watchers.insert(session).second)
        self->monitor(session);
      self->send(session, push_atom::value, self->state.book->cash());
    },
    [=](unwatch_atom, const caf::actor& session) { self->state.watchers.erase(session); },
  });
}

caf::actor spawn_account(caf::local_actor* parent, account_seed seed,
                         std::shared_ptr<const account_env> env) {
  return parent->spawn<caf::linked>(account_actor, std::move(seed), std::move(env), parent->id());
}

} // namespace broker
