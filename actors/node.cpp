#include "actors/node.hpp"

#include <caf/all.hpp>

#include "actors/directory.hpp"
#include "actors/exchange_connector.hpp"

namespace broker {

node::node(caf::actor_system& sys, std::shared_ptr<store> db,
           std::shared_ptr<const instrument_table> instruments,
           std::shared_ptr<const market_calendar> calendar, const utc_clock& clock,
           outside_services outside, node_options opts)
  : sys_(sys), clock_(clock), instruments_(std::move(instruments)), opts_(opts),
    outside_(std::move(outside)) {
  auto snap = db->load();
  auto existing_users = snap.users;
  std::vector<order> working;
  for (auto& o : snap.orders)
    if (!is_final(o.status))
      working.push_back(o);

  persistence_ = spawn_persistence(sys, db, opts.persistence);
  connector_ = spawn_exchange_connector(sys, "in-process");
  auto env = std::make_shared<account_env>();
  env->persistence = persistence_;
  env->connector = connector_;
  env->kyc_provider = outside_.kyc_provider;
  env->payment_gateway = outside_.payment_gateway;
  env->instruments = instruments_;
  env->calendar = std::move(calendar);
  env->clock = &clock;
  directory_ = spawn_directory(sys, seeds_from(std::move(snap)), env);
  users_ = spawn_users(sys, std::move(existing_users), persistence_, directory_, &clock, opts.users);
  caf::anon_send(connector_, account_atom::value, directory_);
  caf::anon_send(connector_, attach_atom::value, outside_.exchange, std::move(working));
}

void node::stop(std::chrono::seconds timeout) {
  caf::scoped_actor self{sys_, true};
  auto stop_and_wait = [&](std::initializer_list<caf::actor> group) {
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
  stop_and_wait({outside_.exchange, connector_, users_, directory_, outside_.kyc_provider,
                 outside_.payment_gateway});
  stop_and_wait({persistence_});
  for (auto* a : {&outside_.exchange, &connector_, &users_, &directory_, &outside_.kyc_provider,
                  &outside_.payment_gateway, &persistence_})
    *a = nullptr;
}

node::~node() {
  for (auto& a : {users_, directory_, connector_, persistence_, outside_.exchange,
                  outside_.kyc_provider, outside_.payment_gateway})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

template <class T, class... Ts>
void node::ask(caf::actor dest, reply<T> done, Ts... args) {
  auto timeout = caf::duration{opts_.request_timeout};
  // Every spawn passes an argument: CAF 0.17 dereferences a null pointer when
  // an actor is spawned with none (UBSan reports it).
  sys_.spawn([=](caf::event_based_actor* self, const caf::actor& target) {
    self->request(target, timeout, args...)
      .then([=](T& value) { done(std::move(value)); },
            [=](caf::error& e) { done(to_rejection(e)); });
  }, dest);
}

caf::actor node::cached_account(user_id u) {
  std::lock_guard<std::mutex> guard{accounts_mutex_};
  auto it = accounts_.find(u);
  return it == accounts_.end() ? caf::actor{} : it->second;
}

void node::remember_account(user_id u, caf::actor a) {
  std::lock_guard<std::mutex> guard{accounts_mutex_};
  accounts_.emplace(u, std::move(a));
}

void node::forget_account(user_id u) {
  std::lock_guard<std::mutex> guard{accounts_mutex_};
  accounts_.erase(u);
}

template <class T, class... Ts>
void node::ask_account(user_id u, reply<T> done, Ts... args) {
  auto timeout = caf::duration{opts_.request_timeout};
  auto ask = [=](caf::event_based_actor* self, const caf::actor& account) {
    self->request(account, timeout, args...)
      .then([=](T& value) { done(std::move(value)); },
            [=](caf::error& e) {
              if (e == caf::sec::request_receiver_down)
                forget_account(u); // the directory will know what became of it
              done(to_rejection(e));
            });
  };
  if (auto account = cached_account(u)) {
    sys_.spawn(ask, account);
    return;
  }
  sys_.spawn([=](caf::event_based_actor* self, const caf::actor& directory) {
    self->request(directory, timeout, account_atom::value, u)
      .then(
        [=](caf::actor& account) {
          remember_account(u, account);
          ask(self, account);
        },
        [=](caf::error& e) { done(to_rejection(e)); });
  }, directory_);
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
  timestamp deadline = clock_.now()
                       + std::chrono::duration_cast<std::chrono::nanoseconds>(opts_.request_timeout).count() / 2;
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

std::shared_ptr<frame_handler> node::open_session(std::shared_ptr<frame_sink> sink,
                                                  token_verifier verify) {
  return broker::open_session(sys_, directory_, std::move(sink), std::move(verify));
}

} // namespace broker
