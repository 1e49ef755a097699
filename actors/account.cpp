#include "actors/account.hpp"

#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct account_state {
  std::unique_ptr<account_book> book;
  std::shared_ptr<const account_env> env;
  std::set<caf::actor> watchers; // sessions following this account
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
template <class Done>
void commit(account_ptr self, write_batch batch, Done done) {
  self->request(self->state.env->persistence, caf::infinite, commit_atom::value, std::move(batch))
    .then([=](caf::ok_atom) mutable { done(true); },
          [=](caf::error&) mutable { done(false); });
}

void write_behind(account_ptr self, write_batch batch) {
  if (!batch.empty())
    self->send(self->state.env->persistence, write_behind_atom::value, std::move(batch));
}

timestamp now(account_ptr self) { return self->state.env->clock->now(); }

} // namespace

caf::behavior account_actor(account_ptr self, account_seed seed,
                            std::shared_ptr<const account_env> env) {
  self->state.book = std::make_unique<account_book>(std::move(seed));
  self->state.env = std::move(env);
  self->set_down_handler([=](const caf::down_msg& dm) {
    self->state.watchers.erase(caf::actor_cast<caf::actor>(dm.source));
  });
  return {
    [=](place_atom, const place_order_request& r, const std::string& key) -> caf::result<order> {
      auto& st = self->state;
      write_batch batch;
      auto inst = st.env->instruments->find(r.symbol);
      auto out = st.book->place(r, key, inst, st.env->calendar->is_open(now(self)), now(self), batch);
      if (auto rej = std::get_if<rejection>(&out.result))
        return to_error(*rej);
      auto placed = std::get<order>(out.result);
      auto rp = self->make_response_promise<order>();
      // A replay still waits for the batch ahead of it: the original may not be durable yet.
      commit(self, std::move(batch), [=](bool ok) mutable {
        if (out.replayed) {
          ok ? rp.deliver(self->state.book->find(placed.id) ? *self->state.book->find(placed.id) : placed)
             : rp.deliver(unavailable());
          return;
        }
        if (!ok) {
          write_batch undo;
          self->state.book->abandon(placed.id, undo);
          write_behind(self, std::move(undo));
          rp.deliver(unavailable());
          return;
        }
        // Durable: now the client hears of it and the exchange sees it.
        rp.deliver(placed);
        push(self, placed);
        self->send(self->state.env->connector, new_order_atom::value, placed);
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
        self->send(self->state.env->connector, cancel_order_atom::value, id, o.symbol);
      });
      return rp;
    },
    [=](const execution_report& r) {
      write_batch batch;
      if (auto changed = self->state.book->apply_report(r, now(self), batch)) {
        write_behind(self, std::move(batch));
        push(self, *changed);
        push(self, self->state.book->cash());
      }
    },
    [=](order_atom, order_id id) -> caf::result<order> {
      if (auto o = self->state.book->find(id))
        return *o;
      return to_error(rejection{reject_reason::order_not_found, "no such order", {}});
    },
    [=](orders_atom, const order_query& q) -> order_page {
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
    },
    [=](balance_atom) { return self->state.book->cash(); },
    [=](profile_atom) { return self->state.book->profile(); },
    [=](deposit_atom, money amount) -> caf::result<transfer> {
      auto rp = self->make_response_promise<transfer>();
      auto user = self->state.book->profile().id;
      self->request(self->state.env->payment_gateway, caf::infinite, collect_atom::value, user, amount)
        .then(
          [=](const payment_result& pay) mutable {
            if (!pay.ok) {
              rp.deliver(to_error(rejection{reject_reason::payment_failed, pay.reference, "amount"}));
              return;
            }
            write_batch batch;
            auto t = self->state.book->record_deposit(amount, pay.reference, now(self), batch);
            // If this commit fails the deposit is not acknowledged; the gateway's
            // settlement report is where such money is found again (not built yet).
            commit(self, std::move(batch), [=](bool ok) mutable {
              ok ? rp.deliver(t) : rp.deliver(unavailable());
              if (ok)
                push(self, self->state.book->cash());
            });
          },
          [=](caf::error&) mutable {
            rp.deliver(to_error(rejection{reject_reason::payment_failed,
                                          "payment gateway unavailable", {}}));
          });
      return rp;
    },
    [=](withdraw_atom, money amount) -> caf::result<transfer> {
      write_batch batch;
      auto started = self->state.book->begin_withdrawal(amount, now(self), batch);
      if (auto rej = std::get_if<rejection>(&started))
        return to_error(*rej);
      auto t = std::get<transfer>(started);
      auto rp = self->make_response_promise<transfer>();
      // The hold is durable before any money leaves.
      commit(self, std::move(batch), [=](bool ok) mutable {
        if (!ok) {
          write_batch undo;
          self->state.book->finish_withdrawal(t.id, false, "not recorded", now(self), undo);
          write_behind(self, std::move(undo));
          rp.deliver(unavailable());
          return;
        }
        self->request(self->state.env->payment_gateway, caf::infinite, payout_atom::value, t.user, amount)
          .then(
            [=](const payment_result& pay) mutable {
              write_batch done;
              auto fin = self->state.book->finish_withdrawal(t.id, pay.ok, pay.reference, now(self), done);
              commit(self, std::move(done), [=](bool ok2) mutable {
                if (!ok2)
                  rp.deliver(unavailable());
                else if (!pay.ok)
                  rp.deliver(to_error(rejection{reject_reason::payment_failed, pay.reference, "amount"}));
                else
                  rp.deliver(fin);
                push(self, self->state.book->cash());
              });
            },
            [=](caf::error&) mutable {
              write_batch done;
              self->state.book->finish_withdrawal(t.id, false, "payment gateway unavailable", now(self), done);
              write_behind(self, std::move(done));
              rp.deliver(to_error(rejection{reject_reason::payment_failed,
                                            "payment gateway unavailable", {}}));
            });
      });
      return rp;
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
            // The provider is down: stay PENDING; its verdict arrives later or KYC is resubmitted.
            commit(self, batch, [=](bool ok) mutable {
              ok ? rp.deliver(self->state.book->profile()) : rp.deliver(unavailable());
            });
          });
      return rp;
    },
    [=](verdict_atom, const kyc_verdict& v) {
      if (self->state.book->profile().kyc != kyc_status::pending)
        return;
      write_batch batch;
      self->state.book->record_kyc_verdict(v.verified, v.reason, batch);
      write_behind(self, std::move(batch));
    },
    [=](watch_atom, const caf::actor& session) {
      if (self->state.watchers.insert(session).second)
        self->monitor(session);
      self->send(session, push_atom::value, self->state.book->cash());
    },
    [=](unwatch_atom, const caf::actor& session) { self->state.watchers.erase(session); },
  };
}

caf::actor spawn_account(caf::actor_system& sys, account_seed seed,
                         std::shared_ptr<const account_env> env) {
  return sys.spawn(account_actor, std::move(seed), std::move(env));
}

} // namespace broker
