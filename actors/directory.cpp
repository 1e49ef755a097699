#include "actors/directory.hpp"
#include "actors/instrumented_behavior.hpp"

#include <cstdio>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/account.hpp"
#include "actors/messages.hpp"
#include "actors/store_reader.hpp"

namespace broker {

namespace {

struct directory_state {
  std::map<user_id, account_seed> seeds; // accounts not spawned yet
  std::unordered_map<user_id, caf::actor> accounts;
  // Accounts being reloaded from the store after a crash, and who asked for
  // them meanwhile (answered once the account is back).
  std::map<user_id, std::vector<caf::response_promise>> reloading;
  // Accounts an operator asked to stop until their next use (passivate).
  std::set<user_id> passivating;
  std::shared_ptr<const account_env> env;
  static inline const char* name = "directory";
};

using directory_ptr = caf::stateful_actor<directory_state>*;

// The account actor of `user`, spawned on first use; invalid for an unknown user.
caf::actor account_of(directory_ptr self, user_id user) {
  auto& st = self->state;
  if (auto it = st.accounts.find(user); it != st.accounts.end())
    return it->second;
  auto seed = st.seeds.find(user);
  if (seed == st.seeds.end())
    return {};
  auto a = spawn_account(self, std::move(seed->second), st.env);
  st.seeds.erase(seed);
  st.accounts.emplace(user, a);
  return a;
}

// An account actor died of something other than the node stopping: its
// in-memory books may hold changes that never became durable (nothing of them
// was acknowledged), so it is rebuilt from the store, as at a restart. First
// an empty commit: persistence answers in order, so every batch the dead
// account had handed over is written (or failed) before the store is read.
// `respawn`: spawn it at once (a crash) or only when next asked for (a passivation).
void reload(directory_ptr self, user_id user, bool respawn = true) {
  auto& st = self->state;
  if (st.reloading.count(user))
    return;
  st.reloading[user];
  auto fail = [=](const caf::error& e) {
    auto waiting = std::move(self->state.reloading[user]);
    self->state.reloading.erase(user);
    std::fprintf(stderr, "directory: could not reload account %lld: %s\n",
                 static_cast<long long>(user), caf::to_string(e).c_str());
    for (auto& rp : waiting)
      rp.deliver(e);
  };
  self->request(st.env->persistence, caf::infinite, commit_atom::value, write_batch{})
    .then(
      [=](caf::ok_atom) {
        self->request(self->state.env->store_reader, caf::infinite, load_atom::value, user)
          .then(
            [=](const account_seed_ptr& seed) {
              auto& st = self->state;
              auto waiting = std::move(st.reloading[user]);
              st.reloading.erase(user);
              if (seed)
                st.seeds[user] = *seed;
              if (!respawn && waiting.empty())
                return;
              auto a = account_of(self, user);
              for (auto& rp : waiting)
                a ? rp.deliver(a)
                  : rp.deliver(to_error(rejection{reject_reason::user_not_found, "no such user", {}}));
            },
            fail);
      },
      fail);
}

} // namespace

caf::behavior directory_actor(directory_ptr self, std::map<user_id, account_seed> seeds,
                              std::shared_ptr<const account_env> env) {
  self->state.seeds = std::move(seeds);
  self->state.env = std::move(env);
  // Accounts are linked to the directory, so the node's shutdown ends them.
  // An account that died alone is rebuilt from the store (see reload()).
  self->set_exit_handler([=](const caf::exit_msg& em) {
    auto& accounts = self->state.accounts;
    for (auto it = accounts.begin(); it != accounts.end(); ++it)
      if (it->second.address() == em.source) {
        user_id user = it->first;
        accounts.erase(it);
        if (self->state.passivating.erase(user) > 0) {
          std::fprintf(stderr, "directory: account %lld passivated; it is read from the store on next use\n",
                       static_cast<long long>(user));
          reload(self, user, false);
          return;
        }
        std::fprintf(stderr, "directory: account %lld stopped (%s); reloading it from the store\n",
                     static_cast<long long>(user), caf::to_string(em.reason).c_str());
        reload(self, user);
        return;
      }
    self->quit(em.reason);
  });
  // A KYC check under way when the node stopped is picked up again at once.
  std::vector<user_id> pending_kyc;
  for (auto& [user, seed] : self->state.seeds)
    if (seed.profile.kyc == kyc_status::pending)
      pending_kyc.push_back(user);
  for (auto user : pending_kyc)
    account_of(self, user);
  return instrumented(self, self->state.env->census, actor_kind::directory, "", 0, {
    [=](account_atom, user_id user) -> caf::result<caf::actor> {
      if (auto it = self->state.reloading.find(user); it != self->state.reloading.end()) {
        it->second.push_back(self->make_response_promise());
        return caf::delegated<caf::actor>{};
      }
      if (auto a = account_of(self, user))
        return a;
      return to_error(rejection{reject_reason::user_not_found, "no such user", {}});
    },
    [=](open_account_atom, const user_profile& profile) {
      account_seed seed;
      seed.profile = profile;
      seed.account.user = profile.id;
      self->state.seeds.emplace(profile.id, std::move(seed));
    },
    [=](fired_atom, user_id user, int64_t alert, money price, timestamp at) {
      if (auto a = account_of(self, user))
        self->send(a, fired_atom::value, alert, price, at);
    },
    [=](verdict_atom, user_id user, const kyc_verdict& v) {
      if (auto a = account_of(self, user))
        self->send(a, verdict_atom::value, v);
    },
    // An operator stops a live account until its next use; false when it is
    // not live or is busy committing (try again).
    [=](passivate_atom, user_id user) -> caf::result<bool> {
      auto& st = self->state;
      auto it = st.accounts.find(user);
      if (it == st.accounts.end() || st.reloading.count(user))
        return false;
      // Marked before asking: the account's exit may overtake its answer.
      st.passivating.insert(user);
      auto rp = self->make_response_promise<bool>();
      self->request(it->second, caf::infinite, passivate_atom::value)
        .then(
          [=](bool stopping) mutable {
            if (!stopping)
              self->state.passivating.erase(user);
            rp.deliver(stopping);
          },
          [=](caf::error&) mutable { rp.deliver(true); }); // gone on the way: stopped either way
      return rp;
    },
    [=](caf::get_atom) { // how many accounts are live, for the console and tests
      return static_cast<int64_t>(self->state.accounts.size());
    },
  });
}

caf::actor spawn_directory(caf::actor_system& sys, std::map<user_id, account_seed> seeds,
                           std::shared_ptr<const account_env> env) {
  return sys.spawn(directory_actor, std::move(seeds), std::move(env));
}

std::map<user_id, account_seed> seeds_from(store_snapshot snap) {
  std::map<user_id, account_seed> seeds;
  for (auto& u : snap.users) {
    auto& s = seeds[u.id];
    s.account.user = u.id;
    s.profile = std::move(u);
  }
  auto seed_of = [&](user_id u) -> account_seed* {
    auto it = seeds.find(u);
    return it == seeds.end() ? nullptr : &it->second;
  };
  for (auto& a : snap.accounts)
    if (auto s = seed_of(a.user))
      s->account = a;
  for (auto& h : snap.holdings)
    if (auto s = seed_of(h.user))
      s->holdings.push_back(std::move(h.position));
  for (auto& o : snap.orders)
    if (auto s = seed_of(o.user))
      s->orders.push_back(std::move(o));
  for (auto& e : snap.executions)
    if (auto s = seed_of(e.user); s && e.report.kind == exec_kind::trade)
      s->trades.push_back(std::move(e));
  for (auto& e : snap.journal)
    if (auto s = seed_of(e.user))
      s->journal.push_back(std::move(e));
  for (auto& st : snap.settlements)
    if (auto s = seed_of(st.user))
      s->settlements.push_back(st);
  for (auto& n : snap.notifications)
    if (auto s = seed_of(n.user))
      s->notifications.push_back(std::move(n));
  for (auto& w : snap.watchlists)
    if (auto s = seed_of(w.user))
      s->watchlists.push_back(std::move(w));
  for (auto& t : snap.transfers)
    if (auto s = seed_of(t.user))
      s->transfers.push_back(std::move(t));
  for (auto& i : snap.idempotency)
    if (auto s = seed_of(i.user))
      s->idempotency.push_back(std::move(i));
  for (auto& a : snap.alerts)
    if (auto s = seed_of(a.user))
      s->alerts.push_back(std::move(a));
  return seeds;
}

} // namespace broker
