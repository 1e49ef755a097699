#include "actors/node.hpp"

#include <caf/all.hpp>

#include "actors/directory.hpp"
#include "actors/exchange_connector.hpp"

namespace broker {

node::node(caf::actor_system& sys, std::shared_ptr<store> db,
           std::shared_ptr<const instrument_table> instruments,
           std::shared_ptr<const market_calendar> calendar, const utc_clock& clock,
           outside_services outside, node_options opts)
  : sys_(sys), instruments_(std::move(instruments)), opts_(opts), outside_(std::move(outside)) {
  auto snap = db->load();
  auto existing_users = snap.users;
  std::vector<order> working;
  for (auto& o : snap.orders)
    if (!is_final(o.status))
      working.push_back(o);

  persistence_ = spawn_persistence(sys, db, opts.persistence);
  connector_ = spawn_exchange_connector(sys);
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

node::~node() {
  for (auto& a : {users_, directory_, connector_, persistence_, outside_.exchange,
                  outside_.kyc_provider, outside_.payment_gateway})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

template <class T, class... Ts>
void node::ask(caf::actor dest, reply<T> done, Ts... args) {
  auto timeout = caf::duration{opts_.request_timeout};
  sys_.spawn([=](caf::event_based_actor* self) {
    self->request(dest, timeout, args...)
      .then([=](T& value) { done(std::move(value)); },
            [=](caf::error& e) { done(to_rejection(e)); });
  });
}

template <class T, class... Ts>
void node::ask_account(user_id u, reply<T> done, Ts... args) {
  auto timeout = caf::duration{opts_.request_timeout};
  auto directory = directory_;
  sys_.spawn([=](caf::event_based_actor* self) {
    self->request(directory, timeout, account_atom::value, u)
      .then(
        [=](caf::actor& account) {
          self->request(account, timeout, args...)
            .then([=](T& value) { done(std::move(value)); },
                  [=](caf::error& e) { done(to_rejection(e)); });
        },
        [=](caf::error& e) { done(to_rejection(e)); });
  });
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
  ask_account(u, std::move(done), place_atom::value, std::move(r), std::move(key));
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
