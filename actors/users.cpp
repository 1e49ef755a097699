#include "actors/users.hpp"
#include "actors/instrumented_behavior.hpp"

#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <sodium.h>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct identity {
  user_id id = 0;
  std::string password_hash;
};

struct users_state {
  std::unordered_map<std::string, identity> by_email;
  std::set<std::string> reserved; // signups in flight
  user_id next_id = 1;
  caf::actor persistence;
  caf::actor directory;
  const utc_clock* clock = nullptr;
  users_options opts;
  std::string dummy_hash; // checked for unknown emails so timing does not tell
  static inline const char* name = "users";
};

using users_ptr = caf::stateful_actor<users_state>*;

} // namespace

caf::behavior users_actor(users_ptr self, std::vector<user_profile> existing,
                          caf::actor persistence, caf::actor directory, const utc_clock* clock,
                          users_options opts) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  auto& st = self->state;
  for (auto& u : existing) {
    st.by_email.emplace(u.email, identity{u.id, u.password_hash});
    st.next_id = std::max(st.next_id, u.id + 1);
  }
  st.persistence = std::move(persistence);
  st.directory = std::move(directory);
  st.clock = clock;
  st.opts = opts;
  st.dummy_hash = hash_password("not a real password", opts.cost);
  return instrumented(self, opts.census, actor_kind::users, "", 0, {
    [=](signup_atom, const signup_request& r) -> caf::result<user_id> {
      auto& st = self->state;
      if (st.by_email.count(r.email) || st.reserved.count(r.email))
        return to_error(rejection{reject_reason::email_taken,
                                  "an account with this email already exists", "email"});
      user_profile p;
      p.id = st.next_id++;
      p.email = r.email;
      p.password_hash = hash_password(r.password, st.opts.cost);
      p.name = r.name;
      p.phone = r.phone;
      p.created_at = st.clock->now();
      write_batch batch;
      batch.users.push_back(p);
      batch.accounts.push_back(account_row{p.id, 0, 1});
      st.reserved.insert(p.email);
      auto rp = self->make_response_promise<user_id>();
      self->request(st.persistence, caf::infinite, commit_atom::value, std::move(batch))
        .then(
          [=](caf::ok_atom) mutable {
            auto& st = self->state;
            st.reserved.erase(p.email);
            st.by_email.emplace(p.email, identity{p.id, p.password_hash});
            // Sent before the reply: the directory knows the account before the client does.
            self->send(st.directory, open_account_atom::value, p);
            rp.deliver(p.id);
          },
          [=](caf::error&) mutable {
            self->state.reserved.erase(p.email);
            rp.deliver(to_error(rejection{reject_reason::storage_unavailable,
                                          "temporarily unavailable, try again", {}}));
          });
      return rp;
    },
    [=](login_atom, const login_request& r) -> caf::result<user_id> {
      auto& st = self->state;
      auto it = st.by_email.find(r.email);
      bool ok = password_matches(it == st.by_email.end() ? st.dummy_hash : it->second.password_hash,
                                 r.password);
      if (it == st.by_email.end() || !ok)
        return to_error(rejection{reject_reason::invalid_credentials,
                                  "email or password is wrong", {}});
      return it->second.id;
    },
  });
}

caf::actor spawn_users(caf::actor_system& sys, std::vector<user_profile> existing,
                       caf::actor persistence, caf::actor directory, const utc_clock* clock,
                       users_options opts) {
  if (opts.detached)
    return sys.spawn<caf::detached>(users_actor, std::move(existing), std::move(persistence),
                                    std::move(directory), clock, opts);
  return sys.spawn(users_actor, std::move(existing), std::move(persistence), std::move(directory),
                   clock, opts);
}

} // namespace broker
