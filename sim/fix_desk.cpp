#include "sim/fix_desk.hpp"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/fix_mapping.hpp"
#include "protocol/quickfix.hpp"
#include "protocol/fix_market_data.hpp"
#include "sim/exchange_ledger.hpp"
#include "sim/market_data_desk.hpp"

namespace broker::fix {

template <class F>
typename F::result_type inspect(F& f, cancel_request& x) {
  return f(caf::meta::type_name("fix_cancel_request"), x.id, x.cancel_id, x.symbol, x.account, x.side);
}

template <class F>
typename F::result_type inspect(F& f, status_request& x) {
  return f(caf::meta::type_name("fix_status_request"), x.id, x.symbol, x.account, x.side);
}

} // namespace broker::fix

namespace broker::sim {

namespace {

using fault_atom = caf::atom_constant<caf::atom("fault")>;
using release_atom = caf::atom_constant<caf::atom("release")>; // a delayed report is due
using unhold_atom = caf::atom_constant<caf::atom("unhold")>;   // a held report waited long enough

// Faults switched on over the admin port (fix_desk.hpp lists the commands).
struct fault_settings {
  int reject_next = 0;    // new orders rejected on arrival
  int duplicate_next = 0; // reports sent twice
  int reorder_next = 0;   // reports held back and sent after the one that follows
  std::chrono::milliseconds delay{0}; // every report waits this long
  bool silent = false;    // requests are read and ignored: not recorded, not answered
  uint64_t rejected = 0, duplicated = 0, reordered = 0, delayed = 0, ignored = 0, dropped = 0;
};

struct desk_state {
  caf::actor exchange;
  caf::actor market_data; // null: no market data session
  std::shared_ptr<exchange_ledger> ledger;
  FIX::SessionID session;
  const utc_clock* clock = nullptr;
  // Orders not final, as the ledger has them.
  std::map<order_id, ledger_order> working;
  // An order put back in the books after a restart holds only what was left
  // of it, so the book's totals for it start at zero: these are added back.
  struct restored_part {
    int64_t cum_quantity = 0;
  };
  std::map<order_id, restored_part> restored;
  std::map<order_id, std::string> cancel_ids; // the cancel request being answered
  std::string exec_prefix;                    // unique per start, for status answers
  uint64_t next_status = 1;
  fault_settings faults;
  std::deque<FIX::Message> delayed; // oldest first; each has a release timer running
  std::optional<FIX::Message> held; // a report held back for reordering
  static inline const char* name = "fix_desk";
};

using desk_ptr = caf::stateful_actor<desk_state>*;

void to_wire(desk_ptr self, FIX::Message m) {
  try {
    // Persisted by QuickFIX even while the broker is away; resent when it
    // asks after its next logon.
    FIX::Session::sendToTarget(m, self->state.session);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_desk: could not send %s: %s\n", m.toString().c_str(), e.what());
  }
}

// After any delay: reordering, then duplication, then the wire.
void after_delay(desk_ptr self, FIX::Message m) {
  auto& f = self->state.faults;
  auto& held = self->state.held;
  if (held) { // this one overtakes the held one
    auto first = std::move(*held);
    held.reset();
    after_delay(self, std::move(m));
    ++f.reordered;
    m = std::move(first);
  } else if (f.reorder_next > 0) {
    --f.reorder_next;
    held = std::move(m);
    self->delayed_send(self, std::chrono::milliseconds{500}, unhold_atom::value);
    return;
  }
  if (f.duplicate_next > 0) {
    --f.duplicate_next;
    ++f.duplicated;
    to_wire(self, m); // the same report twice: same ExecID, a new sequence number
  }
  to_wire(self, std::move(m));
}

void send(desk_ptr self, FIX::Message m) {
  auto& st = self->state;
  if (st.faults.delay.count() > 0 || !st.delayed.empty()) {
    ++st.faults.delayed;
    st.delayed.push_back(std::move(m));
    self->delayed_send(self, std::max(st.faults.delay, std::chrono::milliseconds{0}), release_atom::value);
    return;
  }
  after_delay(self, std::move(m));
}

std::string fault_status(const fault_settings& f, size_t waiting) {
  return "ok waiting=" + std::to_string(waiting) + " reject_next=" + std::to_string(f.reject_next) + " duplicate_next=" + std::to_string(f.duplicate_next)
         + " reorder_next=" + std::to_string(f.reorder_next) + " delay_ms=" + std::to_string(f.delay.count())
         + " silent=" + (f.silent ? "on" : "off") + " rejected=" + std::to_string(f.rejected)
         + " duplicated=" + std::to_string(f.duplicated) + " reordered=" + std::to_string(f.reordered)
         + " delayed=" + std::to_string(f.delayed) + " ignored=" + std::to_string(f.ignored)
         + " dropped=" + std::to_string(f.dropped);
}

// One admin command (fix_desk.hpp); the answer starts "ok" or "error".
std::string apply_fault(desk_ptr self, const std::string& line) {
  auto& f = self->state.faults;
  std::istringstream in{line};
  std::string verb, arg;
  in >> verb >> arg;
  auto count = [&](int& into) -> std::string {
    char* end = nullptr;
    long n = std::strtol(arg.c_str(), &end, 10);
    if (arg.empty() || *end != '\0' || n < 0 || n > 1'000'000)
      return "error " + verb + " takes a count from 0 to 1000000";
    into = static_cast<int>(n);
    return fault_status(f, self->state.delayed.size() + (self->state.held ? 1 : 0));
  };
  if (verb == "reject")
    return count(f.reject_next);
  if (verb == "duplicate")
    return count(f.duplicate_next);
  if (verb == "reorder")
    return count(f.reorder_next);
  if (verb == "delay") {
    int ms = 0;
    auto answer = count(ms);
    if (answer.rfind("ok", 0) == 0)
      f.delay = std::chrono::milliseconds{ms};
    return fault_status(f, self->state.delayed.size() + (self->state.held ? 1 : 0));
  }
  if (verb == "silent") {
    if (arg != "on" && arg != "off")
      return "error silent takes on or off";
    f.silent = arg == "on";
    return fault_status(f, self->state.delayed.size() + (self->state.held ? 1 : 0));
  }
  if (verb == "drop") {
    if (auto* session = FIX::Session::lookupSession(self->state.session); session && session->isLoggedOn()) {
      ++f.dropped;
      session->disconnect();
      return "ok dropped the session";
    }
    return "error no session is logged on";
  }
  if (verb == "status")
    return fault_status(f, self->state.delayed.size() + (self->state.held ? 1 : 0));
  if (verb == "clear") {
    auto counts = f;
    f = fault_settings{};
    f.rejected = counts.rejected, f.duplicated = counts.duplicated, f.reordered = counts.reordered;
    f.delayed = counts.delayed, f.ignored = counts.ignored, f.dropped = counts.dropped;
    return fault_status(f, self->state.delayed.size() + (self->state.held ? 1 : 0));
  }
  return "error unknown command \"" + verb + "\": reject N, delay MS, duplicate N, reorder N, silent on|off, "
         "drop, crash, clear, status";
}

fix::order_facts facts_of(const ledger_order& o, const std::string& cancel_id = {}) {
  return fix::order_facts{o.request.symbol, o.request.side, o.request.quantity, o.cum_value, o.status, cancel_id};
}

order_status status_after(const ledger_order& o, const execution_report& r) {
  switch (r.kind) {
    case exec_kind::accepted: return o.cum_quantity > 0 ? order_status::partially_filled : order_status::open;
    case exec_kind::trade: return r.leaves_quantity == 0 ? order_status::filled : order_status::partially_filled;
    case exec_kind::cancelled: return order_status::cancelled;
    case exec_kind::rejected: return order_status::rejected;
    case exec_kind::expired: return order_status::expired;
    case exec_kind::cancel_rejected: return o.status;
  }
  return o.status;
}

// An execution report from the book: recorded with the order's new totals,
// then sent.
void on_report(desk_ptr self, execution_report r) {
  auto& st = self->state;
  auto it = st.working.find(r.client_order_id);
  if (it == st.working.end()) {
    std::fprintf(stderr, "fix_desk: report %s for order %lld, which is not working here: dropped\n",
                 r.exec_id.c_str(), static_cast<long long>(r.client_order_id));
    return;
  }
  auto& o = it->second;
  bool restored_accept = false;
  if (auto part = st.restored.find(r.client_order_id); part != st.restored.end()) {
    r.cum_quantity += part->second.cum_quantity;
    restored_accept = r.kind == exec_kind::accepted; // the broker had it as working already
  }
  if (r.kind == exec_kind::trade)
    o.cum_value += r.last_quantity * r.last_price;
  if (r.kind != exec_kind::cancel_rejected)
    o.cum_quantity = r.cum_quantity;
  if (!r.exchange_order_id.empty())
    o.exchange_order_id = r.exchange_order_id;
  o.status = status_after(o, r);
  // Invariant (exchange_ledger.hpp): what filled never exceeds the order.
  if (o.cum_quantity > o.request.quantity || o.cum_quantity + r.leaves_quantity > o.request.quantity) {
    std::fprintf(stderr, "fix_desk: report %s overfills order %lld (%lld + %lld of %lld)\n", r.exec_id.c_str(),
                 static_cast<long long>(o.request.id), static_cast<long long>(o.cum_quantity),
                 static_cast<long long>(r.leaves_quantity), static_cast<long long>(o.request.quantity));
    std::abort();
  }
  if (restored_accept) {
    st.ledger->record(o, nullptr);
    return;
  }
  std::string cancel_id;
  if (r.kind == exec_kind::cancelled || r.kind == exec_kind::cancel_rejected) {
    if (auto c = st.cancel_ids.find(o.request.id); c != st.cancel_ids.end()) {
      cancel_id = c->second;
      st.cancel_ids.erase(c);
    }
  }
  st.ledger->record(o, &r);
  send(self, fix::report_message(r, facts_of(o, cancel_id)));
  if (is_final(o.status)) {
    st.restored.erase(o.request.id);
    st.cancel_ids.erase(o.request.id);
    st.working.erase(it);
  }
}

void on_new_order(desk_ptr self, order o) {
  auto& st = self->state;
  if (st.faults.silent) {
    ++st.faults.ignored;
    return;
  }
  if (st.ledger->find(o.id)) {
    std::fprintf(stderr, "fix_desk: order %lld received again (a resend): already taken\n",
                 static_cast<long long>(o.id));
    return;
  }
  ledger_order entry;
  o.created_at = st.clock->now();
  entry.request = o;
  entry.status = order_status::pending;
  st.ledger->record(entry, nullptr); // received: a status request now knows it
  st.working.emplace(o.id, entry);
  if (st.faults.reject_next > 0) { // refused on arrival, as an exchange's risk check would
    --st.faults.reject_next;
    ++st.faults.rejected;
    execution_report r;
    r.exec_id = st.exec_prefix + "-R" + std::to_string(o.id);
    r.client_order_id = o.id;
    r.account = o.user;
    r.kind = exec_kind::rejected;
    r.text = "rejected by the exchange (injected fault)";
    r.time = st.clock->now();
    on_report(self, std::move(r));
    return;
  }
  self->send(st.exchange, new_order_atom::value, std::move(o));
}

void on_status_request(desk_ptr self, const fix::status_request& q) {
  auto& st = self->state;
  if (st.faults.silent) {
    ++st.faults.ignored;
    return;
  }
  auto o = st.ledger->find(q.id);
  std::string exec_id = st.exec_prefix + "-S" + std::to_string(st.next_status++);
  if (!o) {
    send(self, fix::unknown_order_message(q, exec_id));
    return;
  }
  // Every fill again, each under its own ExecID (the broker applies each
  // once), then the state: what a broker that missed a report needs.
  ledger_order running = *o;
  running.cum_value = 0;
  for (auto& e : st.ledger->executions_of(q.id)) {
    if (e.kind != exec_kind::trade)
      continue;
    running.cum_value += e.last_quantity * e.last_price;
    running.status = e.leaves_quantity == 0 ? order_status::filled : order_status::partially_filled;
    auto m = fix::report_message(e, facts_of(running));
    m.getHeader().setField(97, "Y"); // PossResend: sent before, perhaps
    send(self, std::move(m));
  }
  execution_report answer;
  answer.exec_id = exec_id;
  answer.client_order_id = o->request.id;
  answer.account = o->request.user;
  answer.exchange_order_id = o->exchange_order_id;
  answer.kind = exec_kind::accepted;
  answer.cum_quantity = o->cum_quantity;
  answer.leaves_quantity = is_final(o->status) ? 0 : o->request.quantity - o->cum_quantity;
  answer.time = st.clock->now();
  send(self, fix::report_message(answer, facts_of(*o), true));
}

caf::behavior desk_actor(desk_ptr self, caf::actor exchange, std::shared_ptr<exchange_ledger> ledger,
                         FIX::SessionID session, const utc_clock* clock, caf::actor market_data) {
  auto& st = self->state;
  st.exchange = std::move(exchange);
  st.market_data = std::move(market_data);
  st.ledger = std::move(ledger);
  st.session = session;
  st.clock = clock;
  st.exec_prefix = "D" + std::to_string(clock->now() / 1'000'000);
  // Attach to the exchange, then put the working orders back in the books.
  self->request(st.exchange, caf::infinite, reconcile_atom::value, std::vector<order>{})
    .then([](caf::ok_atom) {}, [](caf::error&) {});
  for (auto& o : st.ledger->working()) {
    order rest = o.request;
    rest.quantity = o.request.quantity - o.cum_quantity;
    if (rest.quantity <= 0)
      continue;
    st.restored[o.request.id] = desk_state::restored_part{o.cum_quantity};
    st.working.emplace(o.request.id, o);
    self->send(st.exchange, new_order_atom::value, std::move(rest));
  }
  if (!st.working.empty())
    std::fprintf(stderr, "fix_desk: %zu working orders back in the books from the ledger\n", st.working.size());
  return {
    [=](new_order_atom, order& o) { on_new_order(self, std::move(o)); },
    [=](cancel_order_atom, const fix::cancel_request& c) {
      auto& st = self->state;
      if (st.faults.silent) {
        ++st.faults.ignored;
        return;
      }
      st.cancel_ids[c.id] = c.cancel_id;
      user_id account = c.account;
      if (auto it = st.working.find(c.id); it != st.working.end())
        account = it->second.request.user;
      self->send(st.exchange, cancel_order_atom::value, c.id, c.symbol, account);
    },
    [=](order_status_atom, const fix::status_request& q) { on_status_request(self, q); },
    [=](const execution_report& r) { on_report(self, r); },
    [=](fault_atom, const std::string& command) { return apply_fault(self, command); },
    [=](release_atom) {
      auto& st = self->state;
      if (st.delayed.empty())
        return;
      auto m = std::move(st.delayed.front());
      st.delayed.pop_front();
      after_delay(self, std::move(m));
    },
    [=](unhold_atom) {
      auto& st = self->state;
      if (st.held) { // nothing came to overtake it
        auto m = std::move(*st.held);
        st.held.reset();
        to_wire(self, std::move(m));
      }
    },
    [=](ticks_atom, std::vector<tick>& ticks) {
      if (self->state.market_data)
        self->send(self->state.market_data, ticks_atom::value, std::move(ticks));
    },
    [=](logon_atom, const std::string& session) { std::fprintf(stderr, "fix_desk: %s logged on\n", session.c_str()); },
    [=](logout_atom, const std::string& session) {
      std::fprintf(stderr, "fix_desk: %s logged out\n", session.c_str());
    },
  };
}

// QuickFIX's callbacks, on its threads: each message becomes one for the desk,
// or, on the market data session, for the market data desk.
class desk_application final : public FIX::Application {
public:
  void set_desks(caf::actor desk, caf::actor market_data, FIX::SessionID market_data_session) {
    desk_ = std::move(desk);
    market_data_ = std::move(market_data);
    market_data_session_ = std::move(market_data_session);
  }

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override { caf::anon_send(desk_, logon_atom::value, id.toString()); }
  void onLogout(const FIX::SessionID& id) override {
    if (market_data_ && id == market_data_session_)
      caf::anon_send(market_data_, logout_atom::value);
    caf::anon_send(desk_, logout_atom::value, id.toString());
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) override {
    auto type = m.getHeader().getField(35);
    std::string error;
    if (market_data_ && id == market_data_session_) {
      if (type == "V") {
        auto s = fix::read_market_data_request(m);
        if (auto* ok = std::get_if<fix::subscription>(&s))
          return caf::anon_send(market_data_, std::move(*ok));
        error = std::get<std::string>(s);
      } else {
        error = "message type " + type + " is not taken on the market data session";
      }
    } else if (type == "D") {
      auto o = fix::read_new_order_single(m);
      if (auto* ok = std::get_if<order>(&o))
        return caf::anon_send(desk_, new_order_atom::value, std::move(*ok));
      error = std::get<std::string>(o);
    } else if (type == "F") {
      auto c = fix::read_cancel_request(m);
      if (auto* ok = std::get_if<fix::cancel_request>(&c))
        return caf::anon_send(desk_, cancel_order_atom::value, std::move(*ok));
      error = std::get<std::string>(c);
    } else if (type == "H") {
      auto q = fix::read_status_request(m);
      if (auto* ok = std::get_if<fix::status_request>(&q))
        return caf::anon_send(desk_, order_status_atom::value, std::move(*ok));
      error = std::get<std::string>(q);
    } else {
      error = "message type " + type + " is not taken here";
    }
    auto reject = fix::business_reject(m.getHeader().getField(34), type, error);
    FIX::Session::sendToTarget(reject, id);
  }

private:
  caf::actor desk_;
  caf::actor market_data_;
  FIX::SessionID market_data_session_;
};

std::string session_settings(const fix_desk_options& o) {
  std::ostringstream s;
  s << "[DEFAULT]\n"
    << "ConnectionType=acceptor\n"
    << "SocketAcceptPort=" << o.port << "\n"
    << "SocketReuseAddress=Y\n"
    << "NonStopSession=Y\n"
    << "StartTime=00:00:00\n"
    << "EndTime=00:00:00\n"
    << "UseDataDictionary=N\n"
    << "PersistMessages=Y\n"
    << "FileStorePath=" << o.data_dir << "/fix-store\n"
    << "FileLogPath=" << o.data_dir << "/fix-log\n"
    << "[SESSION]\n"
    << "BeginString=FIX.4.4\n"
    << "SenderCompID=" << o.sender_comp_id << "\n"
    << "TargetCompID=" << o.target_comp_id << "\n";
  if (!o.market_data_comp_id.empty())
    s << fix::market_data_session_settings("FIX.4.4", o.market_data_comp_id, o.target_comp_id);
  return s.str();
}

} // namespace

struct fix_desk::impl {
  desk_application app;
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<FIX::FileStoreFactory> store;
  std::unique_ptr<FIX::FileLogFactory> log;
  std::unique_ptr<FIX::SocketAcceptor> acceptor;
  caf::actor desk;
  caf::actor market_data;
};

fix_desk::fix_desk(caf::actor_system& sys, caf::actor exchange, fix_desk_options opts)
  : impl_(std::make_unique<impl>()) {
  std::filesystem::create_directories(opts.data_dir);
  auto ledger = std::make_shared<exchange_ledger>(opts.data_dir + "/exchange.db");
  FIX::SessionID session{"FIX.4.4", opts.sender_comp_id, opts.target_comp_id};
  FIX::SessionID md_session{"FIX.4.4", opts.market_data_comp_id, opts.target_comp_id};
  if (!opts.market_data_comp_id.empty())
    impl_->market_data = spawn_market_data_desk(sys, opts.instruments, md_session.toString(), opts.clock);
  // Its own thread: the ledger's commits and QuickFIX's sends block.
  impl_->desk = sys.spawn<caf::detached>(desk_actor, std::move(exchange), std::move(ledger), session, opts.clock,
                                         impl_->market_data);
  impl_->app.set_desks(impl_->desk, impl_->market_data, md_session);
  std::istringstream text{session_settings(opts)};
  try {
    impl_->settings = std::make_unique<FIX::SessionSettings>(text);
    impl_->store = std::make_unique<FIX::FileStoreFactory>(*impl_->settings);
    impl_->log = std::make_unique<FIX::FileLogFactory>(*impl_->settings);
    impl_->acceptor = std::make_unique<FIX::SocketAcceptor>(impl_->app, *impl_->store, *impl_->settings, *impl_->log);
    if (impl_->market_data)
      fix::parse_market_data_groups(*impl_->acceptor->getSession(md_session), "FIX.4.4");
    impl_->acceptor->start();
  } catch (const std::exception& e) {
    caf::anon_send_exit(impl_->desk, caf::exit_reason::user_shutdown);
    if (impl_->market_data)
      caf::anon_send_exit(impl_->market_data, caf::exit_reason::user_shutdown);
    throw std::runtime_error(std::string("FIX acceptor on port ") + std::to_string(opts.port) + ": " + e.what());
  }
}

fix_desk::~fix_desk() {
  if (impl_->acceptor)
    impl_->acceptor->stop();
  caf::anon_send_exit(impl_->desk, caf::exit_reason::user_shutdown);
  if (impl_->market_data)
    caf::anon_send_exit(impl_->market_data, caf::exit_reason::user_shutdown);
}

caf::actor fix_desk::actor() const { return impl_->desk; }

std::string fix_desk::fault(const std::string& command) {
  std::istringstream in{command};
  std::string verb;
  in >> verb;
  if (verb == "crash") {
    std::fprintf(stderr, "fix_desk: crashing, as asked (nothing flushed)\n");
    std::_Exit(137);
  }
  caf::scoped_actor self{impl_->desk->home_system(), true};
  std::string answer = "error the desk did not answer";
  self->request(impl_->desk, caf::duration{std::chrono::seconds{5}}, fault_atom::value, command)
    .receive([&](std::string& a) { answer = std::move(a); }, [](caf::error&) {});
  return answer;
}

} // namespace broker::sim
