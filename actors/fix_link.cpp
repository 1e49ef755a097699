#include "actors/fix_link.hpp"
#include "actors/instrumented_behavior.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/fix_mapping.hpp"
#include "protocol/fix_market_data.hpp"
#include "protocol/quickfix.hpp"

namespace broker::fix {

template <class F>
typename F::result_type inspect(F& f, order_report& x) {
  return f(caf::meta::type_name("fix_order_report"), x.report, x.status_answer, x.status, x.unknown_order);
}

} // namespace broker::fix

namespace broker {

namespace {

using logon_timeout_atom = caf::atom_constant<caf::atom("logontime")>;

// QuickFIX's callbacks, on its thread: each becomes a message for the link.
// It holds the link's address, not a handle: the link owns it. Market data is
// read here, on QuickFIX's thread (one for both sessions), where the top of
// book it keeps across refreshes is only ever touched.
class link_application final : public FIX::Application {
public:
  void set_link(caf::actor_addr link, FIX::SessionID market_data, const utc_clock* clock) {
    link_ = std::move(link);
    market_data_ = std::move(market_data);
    clock_ = clock;
  }

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    if (id == market_data_)
      book_.clear(); // the snapshots that follow the subscription rebuild it
    tell(logon_atom::value, id == market_data_);
  }
  void onLogout(const FIX::SessionID& id) override { tell(logout_atom::value, id == market_data_); }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) override {
    auto type = m.getHeader().getField(35);
    if ((type == "3" || type == "5") && m.isSetField(58)) // Reject, Logout: say why
      std::fprintf(stderr, "fix_link: the exchange says (35=%s): %s\n", type.c_str(), m.getField(58).c_str());
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) override {
    auto type = m.getHeader().getField(35);
    if (type == "j") {
      std::fprintf(stderr, "fix_link: the exchange rejected message %s: %s\n",
                   m.isSetField(45) ? m.getField(45).c_str() : "?", m.isSetField(58) ? m.getField(58).c_str() : "");
      return;
    }
    if (id == market_data_)
      return on_market_data(m, type);
    auto r = fix::read_order_report(m);
    if (auto* ok = std::get_if<fix::order_report>(&r))
      tell(std::move(*ok));
    else
      std::fprintf(stderr, "fix_link: refused a report it cannot read (%s): %s\n",
                   std::get<std::string>(r).c_str(), m.toString().c_str());
  }

private:
  void on_market_data(const FIX::Message& m, const std::string& type) {
    if (type == "Y") {
      auto why = fix::read_market_data_reject(m);
      std::fprintf(stderr, "fix_link: the exchange refused the market data request %s: %s\n",
                   why.request_id.c_str(), why.text.c_str());
      return;
    }
    auto r = fix::read_market_data(m, book_, clock_->now());
    if (auto* md = std::get_if<fix::market_data>(&r)) {
      if (!md->ticks.empty())
        tell(ticks_atom::value, std::move(md->ticks));
    } else {
      std::fprintf(stderr, "fix_link: refused market data it cannot read (%s)\n", std::get<std::string>(r).c_str());
    }
  }
  template <class... Ts>
  void tell(Ts&&... xs) {
    if (auto link = caf::actor_cast<caf::actor>(link_))
      caf::anon_send(link, std::forward<Ts>(xs)...);
  }
  caf::actor_addr link_;
  FIX::SessionID market_data_;
  const utc_clock* clock_ = nullptr;
  fix::book_tops book_;
};

struct link_state {
  fix_link_options opts;
  link_application app;
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<FIX::FileStoreFactory> store;
  std::unique_ptr<FIX::FileLogFactory> log;
  std::unique_ptr<FIX::SocketInitiator> initiator;
  FIX::SessionID session;
  FIX::SessionID market_data_session;
  bool logged_on = false;
  // The market data session's subscription: its id, and whether data came
  // since (what the connector was last told).
  std::string market_data_request;
  bool market_data_flowing = false;
  int64_t next_market_data_request = 1;
  caf::actor connector;
  // The connector's reconcile, answered once logged on.
  std::optional<caf::response_promise> reconcile_answer;
  std::vector<order> to_reconcile;
  std::vector<FIX::Message> before_logon; // sent in order right after it
  // What a cancel request and a report without Account need to know of an
  // order, and whether the exchange ever acknowledged it.
  struct known_order {
    user_id user = 0;
    std::string symbol;
    broker::side side = side::buy;
    int64_t quantity = 0;
    bool acknowledged = false;
  };
  std::unordered_map<order_id, known_order> orders;
  int64_t next_request = 1; // numbers cancel requests, unique per link
  static inline const char* name = "fix_link";

  // Before the link is gone: the next link must not find this one's
  // initiator still holding the session's store.
  void stop_initiator() {
    if (initiator)
      initiator->stop(!logged_on); // a link that never logged on has nobody to log out from
    initiator.reset();
  }
  ~link_state() { stop_initiator(); }
};

using link_ptr = caf::stateful_actor<link_state>*;

void finish(link_ptr self, caf::error why) {
  self->state.stop_initiator();
  self->quit(std::move(why));
}

std::string initiator_settings(const fix_link_options& o) {
  std::ostringstream s;
  s << "[DEFAULT]\n"
    << "ConnectionType=initiator\n"
    << "SocketConnectHost=" << o.host << "\n"
    << "SocketConnectPort=" << o.port << "\n"
    << "HeartBtInt=" << o.heartbeat_seconds << "\n"
    << "ReconnectInterval=1\n"
    << "NonStopSession=Y\n"
    << "StartTime=00:00:00\n"
    << "EndTime=00:00:00\n"
    << "UseDataDictionary=N\n"
    << "PersistMessages=Y\n"
    << "FileStorePath=" << o.store_dir << "\n"
    << "FileLogPath=" << o.store_dir << "/log\n"
    << "[SESSION]\n"
    << "BeginString=" << o.begin_string << "\n"
    << "SenderCompID=" << o.sender_comp_id << "\n"
    << "TargetCompID=" << o.target_comp_id << "\n";
  if (!o.market_data_comp_id.empty())
    s << fix::market_data_session_settings(o.begin_string, o.sender_comp_id, o.market_data_comp_id);
  return s.str();
}

void subscribe_market_data(link_ptr self) {
  auto& st = self->state;
  auto now = st.opts.clock->now();
  // Unique across links, as cancel request ids are.
  st.market_data_request = "MD-" + std::to_string(now / 1'000'000) + "-" + std::to_string(st.next_market_data_request++);
  try {
    auto request = fix::market_data_request(st.market_data_request, st.opts.symbols);
    FIX::Session::sendToTarget(request, st.market_data_session);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_link: could not ask for market data: %s\n", e.what());
  }
}

void market_data_stopped(link_ptr self) {
  auto& st = self->state;
  st.market_data_request.clear();
  if (st.market_data_flowing && st.connector)
    self->send(st.connector, market_data_atom::value, false);
  st.market_data_flowing = false;
}

void send_fix(link_ptr self, FIX::Message m) {
  auto& st = self->state;
  if (!st.logged_on) {
    st.before_logon.push_back(std::move(m));
    return;
  }
  try {
    FIX::Session::sendToTarget(m, st.session);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_link: could not send: %s\n", e.what());
  }
}

// An answer to a status request, as the execution report that repairs the
// books (or none, when the exchange agrees the order is working).
std::optional<execution_report> repair_from(link_ptr self, const fix::order_report& a) {
  auto& st = self->state;
  execution_report r = a.report;
  auto known = st.orders.find(r.client_order_id);
  bool acknowledged = known != st.orders.end() && known->second.acknowledged;
  std::string id = std::to_string(r.client_order_id);
  if (a.unknown_order) {
    r.cum_quantity = 0;
    r.leaves_quantity = 0;
    if (acknowledged) {
      r.kind = exec_kind::cancelled;
      r.exec_id = "LOST-" + id;
      r.text = "cancelled: the exchange no longer knows the order";
    } else {
      r.kind = exec_kind::rejected;
      r.exec_id = "UNKNOWN-" + id;
      r.text = "rejected: the exchange never received the order";
    }
    r.repair = true;
    return r;
  }
  if (!is_final(a.status) || a.status == order_status::filled)
    return std::nullopt; // working there too; or filled, by the fills it replayed
  r.exec_id = "STATUS-" + id + "-" + std::string{to_string(a.status)};
  r.leaves_quantity = 0;
  r.repair = true;
  return r;
}

void on_logon(link_ptr self) {
  auto& st = self->state;
  st.logged_on = true;
  std::fprintf(stderr, "fix_link: logged on to %s:%u as %s\n", st.opts.host.c_str(), st.opts.port,
               st.opts.sender_comp_id.c_str());
  for (auto& o : st.to_reconcile)
    send_fix(self, fix::order_status_request(o.id, o.symbol, o.user, o.side));
  st.to_reconcile.clear();
  for (auto& m : st.before_logon)
    send_fix(self, std::move(m));
  st.before_logon.clear();
  if (st.reconcile_answer) {
    st.reconcile_answer->deliver(caf::ok_atom::value);
    st.reconcile_answer.reset();
  }
}

caf::behavior fix_link(link_ptr self, fix_link_options opts) {
  auto& st = self->state;
  st.opts = opts;
  st.session = FIX::SessionID{opts.begin_string, opts.sender_comp_id, opts.target_comp_id};
  if (!opts.market_data_comp_id.empty())
    st.market_data_session = FIX::SessionID{opts.begin_string, opts.sender_comp_id, opts.market_data_comp_id};
  std::filesystem::create_directories(opts.store_dir);
  st.app.set_link(self->address(), st.market_data_session, opts.clock);
  self->set_exit_handler([=](const caf::exit_msg& m) { finish(self, m.reason); });
  try {
    std::istringstream text{initiator_settings(opts)};
    st.settings = std::make_unique<FIX::SessionSettings>(text);
    st.store = std::make_unique<FIX::FileStoreFactory>(*st.settings);
    st.log = std::make_unique<FIX::FileLogFactory>(*st.settings);
    st.initiator = std::make_unique<FIX::SocketInitiator>(st.app, *st.store, *st.settings, *st.log);
    if (!opts.market_data_comp_id.empty())
      fix::parse_market_data_groups(*st.initiator->getSession(st.market_data_session), opts.begin_string);
    st.initiator->start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_link: cannot start the FIX initiator: %s\n", e.what());
    finish(self, caf::sec::runtime_error);
    return {};
  }
  self->delayed_send(self, opts.logon_timeout, logon_timeout_atom::value);
  return instrumented(self, opts.census, actor_kind::exchange_link, opts.begin_string + " " + opts.host + ":" + std::to_string(opts.port), 0, {
    [=](reconcile_atom, std::vector<order>& working) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.connector = caf::actor_cast<caf::actor>(self->current_sender());
      for (auto& o : working)
        st.orders[o.id] = link_state::known_order{o.user, o.symbol, o.side, o.quantity,
                                                  o.status != order_status::pending};
      if (st.logged_on) {
        for (auto& o : working)
          send_fix(self, fix::order_status_request(o.id, o.symbol, o.user, o.side));
        return caf::ok_atom::value;
      }
      st.to_reconcile = std::move(working);
      st.reconcile_answer = self->make_response_promise();
      return *st.reconcile_answer;
    },
    [=](new_order_atom, const order& o) {
      auto& st = self->state;
      st.orders[o.id] = link_state::known_order{o.user, o.symbol, o.side, o.quantity, false};
      send_fix(self, fix::new_order_single(o, st.opts.clock->now()));
    },
    [=](order_status_atom, const order& o) {
      auto& st = self->state;
      auto& known = st.orders[o.id];
      known = link_state::known_order{o.user, o.symbol, o.side, o.quantity, o.status != order_status::pending};
      send_fix(self, fix::order_status_request(o.id, o.symbol, o.user, o.side));
    },
    [=](cancel_order_atom, order_id id, const std::string& symbol, user_id account) {
      auto& st = self->state;
      order o;
      o.id = id;
      o.symbol = symbol;
      o.user = account;
      if (auto it = st.orders.find(id); it != st.orders.end()) {
        o.side = it->second.side;
        o.quantity = it->second.quantity;
      }
      auto now = st.opts.clock->now();
      // Unique across links: the link's start in ms, then a count.
      send_fix(self, fix::order_cancel_request(o, now / 1'000'000 * 1000 + st.next_request++, now));
    },
    [=](fix::order_report& a) {
      auto& st = self->state;
      auto& r = a.report;
      auto known = st.orders.find(r.client_order_id);
      if (r.account == 0 && known != st.orders.end())
        r.account = known->second.user;
      if (r.time == 0)
        r.time = st.opts.clock->now();
      std::optional<execution_report> out;
      if (a.status_answer) {
        out = repair_from(self, a); // the connector logs and counts it
      } else {
        if (known != st.orders.end() && (r.kind == exec_kind::accepted || r.kind == exec_kind::trade))
          known->second.acknowledged = true;
        out = r;
      }
      if (out && st.connector)
        self->send(st.connector, std::move(*out));
      bool final = r.kind == exec_kind::cancelled || r.kind == exec_kind::rejected || r.kind == exec_kind::expired
                   || (r.kind == exec_kind::trade && r.leaves_quantity == 0) || (a.status_answer && is_final(a.status));
      if (final && known != st.orders.end())
        st.orders.erase(known);
    },
    [=](ticks_atom, std::vector<tick>& ticks) {
      auto& st = self->state;
      if (st.market_data_request.empty() || !st.connector)
        return; // from a subscription that has ended
      if (!st.market_data_flowing) {
        st.market_data_flowing = true;
        self->send(st.connector, market_data_atom::value, true);
      }
      self->send(st.connector, ticks_atom::value, std::move(ticks));
    },
    [=](logon_atom, bool market_data) {
      if (!market_data)
        return on_logon(self);
      std::fprintf(stderr, "fix_link: market data session logged on; subscribing to %zu symbols\n",
                   self->state.opts.symbols.size());
      subscribe_market_data(self);
    },
    [=](logout_atom, bool market_data) {
      if (market_data) { // QuickFIX logs it on again by itself
        std::fprintf(stderr, "fix_link: the market data session ended\n");
        market_data_stopped(self);
        return;
      }
      // The session is over: this link is done, the connector opens the next.
      // Nobody to log out from, so the initiator stops at once (a graceful
      // stop waits ~300 ms, while the connector would still count on us).
      self->state.logged_on = false;
      std::fprintf(stderr, "fix_link: the session with %s:%u ended\n", self->state.opts.host.c_str(),
                   self->state.opts.port);
      finish(self, caf::sec::runtime_error);
    },
    [=](logon_timeout_atom) {
      if (!self->state.logged_on) {
        std::fprintf(stderr, "fix_link: no logon from %s:%u within %lld ms\n", self->state.opts.host.c_str(),
                     self->state.opts.port, static_cast<long long>(self->state.opts.logon_timeout.count()));
        finish(self, caf::sec::request_timeout);
      }
    },
  });
}

} // namespace

caf::actor spawn_fix_link(caf::actor_system& sys, fix_link_options opts) {
  // Its own thread: QuickFIX's sends and its stop() block.
  return sys.spawn<caf::detached>(fix_link, std::move(opts));
}

} // namespace broker
