#include "actors/session.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_reader.hpp"
#include "protocol/views.hpp"

namespace broker {

namespace {

// A symbol the client follows: where its quote is, how much of it the client
// wants, and the version it was last sent (0: not yet).
struct followed {
  size_t slot = 0;
  quote_mode mode = quote_mode::quote;
  uint64_t sent_version = 0;
};

struct session_state {
  std::shared_ptr<frame_sink> sink;
  session_services services;
  session_options opts;
  token_verifier verify;
  std::optional<user_id> user;
  std::shared_ptr<std::optional<user_id>> signed_in; // the user whose connection place this holds
  caf::actor account; // set while subscribed to an account channel
  std::set<std::string> channels; // "orders", "alerts", "portfolio": what it forwards
  // The portfolio channel: the account's latest holdings (pushed after each
  // fill), valued at the board's prices on the beat. Sent when they changed
  // or any held symbol's quote did (the sum of their quote versions moves).
  std::optional<account_holdings> holdings;
  bool holdings_changed = false;
  uint64_t portfolio_prices_sent = 0;
  // Symbols followed. Nothing waits here to be sent: the latest quotes are on
  // the node's board, so a slow client's session holds no backlog at all.
  std::map<std::string, followed> watching;
  // Their board slots, shared with the exit handler that counts them out.
  std::shared_ptr<std::set<size_t>> followed_slots = std::make_shared<std::set<size_t>>();
  // What the client was last told of the market data: stale or not.
  bool told_stale = false;
  // When the socket queue was first found full, while it stays full.
  std::optional<caf::actor_clock::time_point> behind_since;
  static inline const char* name = "session";
};

using session_ptr = caf::stateful_actor<session_state>*;

void drain(session_ptr self);

// The beat wakes only sessions with something to send on it: followed
// symbols, or a portfolio to revalue.
bool wants_beat(const session_state& st) {
  return !st.watching.empty() || st.channels.count("portfolio") > 0;
}

void update_beat(session_ptr self, bool had_beat) {
  bool now = wants_beat(self->state);
  auto me = caf::actor_cast<caf::actor>(self);
  if (!had_beat && now)
    self->send(self->state.services.fanout, watch_atom::value, me);
  else if (had_beat && !now)
    self->send(self->state.services.fanout, unwatch_atom::value, me);
}

void send_frame(session_ptr self, std::string frame) {
  if (!self->state.sink->send_text(std::move(frame))) {
    // The client is not reading: its queue is full. Better a clear close than a backlog.
    self->state.sink->close(close_try_again_later, "client too slow");
    self->quit();
  }
}

void send_error(session_ptr self, std::string_view code, std::string_view message,
                std::string_view field = {}) {
  json_writer w;
  w.begin_object().field("type", "error").field("code", code).field("message", message);
  if (!field.empty())
    w.field("field", field);
  w.end_object();
  send_frame(self, w.take());
}

void send_ack(session_ptr self, std::string_view action, std::string_view channel = {}) {
  json_writer w;
  w.begin_object().field("type", action).field("status", "ok");
  if (!channel.empty())
    w.field("channel", channel);
  w.end_object();
  send_frame(self, w.take());
}

// The account channels ("orders", "alerts") follow the user's account actor,
// which pushes everything to its watchers; the session forwards what the
// client subscribed to.
void follow_account(session_ptr self, const caf::actor& account) {
  self->state.account = account;
  self->monitor(account);
  self->send(account, watch_atom::value, caf::actor_cast<caf::actor>(self));
}

// The first picture; later ones come with the account's pushes.
void request_portfolio(session_ptr self, const caf::actor& account) {
  self->request(account, caf::infinite, portfolio_atom::value)
    .then([=](account_holdings& h) {
            self->state.holdings = std::move(h);
            self->state.holdings_changed = true;
            drain(self);
          },
          [=](caf::error&) { send_error(self, "unavailable", "portfolio not available", "channels"); });
}

void subscribe_account(session_ptr self, const std::string& channel) {
  auto& st = self->state;
  if (!st.user) {
    send_error(self, "unauthorized", "send {\"action\":\"auth\",\"token\":...} first", "channels");
    return;
  }
  auto joined = [=](const caf::actor& account) {
    auto& st = self->state;
    bool had_beat = wants_beat(st);
    st.channels.insert(channel);
    if (!st.account)
      follow_account(self, account);
    send_ack(self, "subscribe", channel);
    if (channel == "portfolio") {
      update_beat(self, had_beat);
      request_portfolio(self, account);
    }
  };
  if (st.account) {
    joined(st.account);
    return;
  }
  self->request(st.services.directory, caf::infinite, account_atom::value, *st.user)
    .then([=](const caf::actor& account) { joined(account); },
          [=](caf::error&) { send_error(self, "unavailable", "account not available", "channels"); });
}

// The account actor died (it is rebuilt from the store): follow the new one,
// and tell the client that pushes may have been missed meanwhile, so it
// fetches what it shows again (GET /v1/orders, ...). Without this the
// channels went silent for good; broker-sim's account kills found it.
void refollow_account(session_ptr self) {
  auto& st = self->state;
  st.account = nullptr;
  if (st.channels.empty() || !st.user)
    return;
  self->request(st.services.directory, caf::infinite, account_atom::value, *st.user)
    .then(
      [=](const caf::actor& account) {
        auto& st = self->state;
        if (st.account || st.channels.empty())
          return;
        follow_account(self, account);
        for (auto& c : st.channels)
          send_frame(self, R"({"channel":")" + c + R"(","type":"resync","reason":"account restarted"})");
        if (st.channels.count("portfolio"))
          request_portfolio(self, account);
      },
      [=](caf::error&) {
        send_error(self, "unavailable", "account not available: subscribe again", "channels");
        self->state.channels.clear();
      });
}

void unsubscribe_account(session_ptr self, const std::string& channel) {
  auto& st = self->state;
  bool had_beat = wants_beat(st);
  st.channels.erase(channel);
  if (channel == "portfolio")
    st.holdings.reset();
  if (st.channels.empty() && st.account) {
    self->send(st.account, unwatch_atom::value, caf::actor_cast<caf::actor>(self));
    self->demonitor(st.account);
    st.account = nullptr;
  }
  update_beat(self, had_beat);
  send_ack(self, "unsubscribe", channel);
}

std::vector<std::string> sorted_unique(const std::vector<std::string>& in) {
  std::vector<std::string> out(in);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void send_symbols_ack(session_ptr self, std::string_view action,
                      const std::vector<std::string>& symbols,
                      std::optional<quote_mode> mode) {
  json_writer w;
  w.begin_object().field("type", action).field("status", "ok").key("symbols").begin_array();
  for (auto& s : symbols)
    w.value(s);
  w.end_array();
  if (mode)
    w.field("mode", to_string(*mode));
  w.end_object();
  send_frame(self, w.take());
}

void send_unknown_symbol(session_ptr self, const std::string& symbol) {
  json_writer w;
  w.begin_object()
    .field("type", "error")
    .field("code", "unknown_symbol")
    .field("message", "unknown symbol " + symbol)
    .field("field", "symbols")
    .field("symbol", symbol)
    .end_object();
  send_frame(self, w.take());
}

// {"action":"subscribe"|"unsubscribe"|"mode","symbols":[...],"mode":...}.
// Each symbol is handled on its own: an unknown one gets an error frame naming
// it and the rest of the request still applies.
void on_symbols(session_ptr self, const std::string& action, const json_field& field,
                const json_field* mode_field) {
  auto& st = self->state;
  if (field.type != json_field::kind::array || !field.array_of_strings) {
    send_error(self, "invalid_field", "symbols must be an array of strings", "symbols");
    return;
  }
  std::optional<quote_mode> mode;
  if (mode_field) {
    if (mode_field->type == json_field::kind::string)
      mode = parse_quote_mode(mode_field->text);
    if (!mode) {
      send_error(self, "invalid_field", "mode must be one of ltp, quote, full", "mode");
      return;
    }
  } else if (action == "mode") {
    send_error(self, "missing_field", "mode is required", "mode");
    return;
  } else if (action == "subscribe") {
    mode = quote_mode::quote;
  }
  std::vector<std::string> done;
  bool had_beat = wants_beat(st);
  size_t refused_for_limit = 0;
  for (auto& symbol : sorted_unique(field.strings)) {
    auto slot = st.services.quotes->slot_of(symbol);
    if (!slot) {
      send_unknown_symbol(self, symbol);
      continue;
    }
    auto w = st.watching.find(symbol);
    if (action == "subscribe") {
      if (w != st.watching.end()) {
        w->second.mode = *mode;
        w->second.sent_version = 0; // shown again in the mode now asked for
      } else if (st.watching.size() >= st.opts.max_symbols) {
        ++refused_for_limit;
        continue;
      } else {
        st.watching.emplace(symbol, followed{*slot, *mode, 0});
        st.services.quotes->count_follower(*slot, +1);
        st.followed_slots->insert(*slot);
      }
    } else if (action == "unsubscribe") {
      if (w != st.watching.end()) {
        st.services.quotes->count_follower(w->second.slot, -1);
        st.followed_slots->erase(w->second.slot);
        st.watching.erase(w);
      }
    } else { // mode
      if (w == st.watching.end()) {
        send_error(self, "not_subscribed", "not subscribed to " + symbol, "symbols");
        continue;
      }
      w->second.mode = *mode;
      w->second.sent_version = 0; // at the next beat, even if it has not traded
    }
    done.push_back(symbol);
  }
  update_beat(self, had_beat);
  if (refused_for_limit > 0)
    send_error(self, "too_many_symbols",
               "a connection may follow at most " + std::to_string(st.opts.max_symbols)
                 + " symbols; " + std::to_string(refused_for_limit) + " not subscribed",
               "symbols");
  send_symbols_ack(self, action, done, action == "unsubscribe" ? std::nullopt : mode);
  if (action == "subscribe")
    drain(self); // new symbols: something to show at once, not at the next beat
}

// Once per conflation interval (the fanout's beat), and at once after a
// subscribe: writes every followed symbol whose quote changed since it was
// last sent, at its latest values, several per frame. While the socket's
// queue is long nothing is written (the board keeps only the latest, so
// nothing piles up); a client that stays behind for slow_client_timeout is
// closed.
void drain_portfolio(session_ptr self);

void drain(session_ptr self) {
  auto& st = self->state;
  if (!wants_beat(st))
    return;
  if (st.sink->queued_frames() >= st.opts.max_queued_frames) {
    auto now = self->clock().now();
    if (!st.behind_since)
      st.behind_since = now;
    if (now - *st.behind_since >= st.opts.slow_client_timeout) {
      st.sink->close(close_try_again_later, "client too slow");
      self->quit();
    }
    return;
  }
  st.behind_since.reset();
  auto& board = *st.services.quotes;
  bool stale = board.stale();
  if (stale != st.told_stale && !st.watching.empty()) {
    st.told_stale = stale;
    send_frame(self, stale ? R"({"channel":"quotes","type":"status","stale":true,)"
                             R"("message":"the exchange's market data has stopped: quotes are the last known"})"
                           : R"({"channel":"quotes","type":"status","stale":false})");
  }
  static constexpr std::string_view live_head = R"({"channel":"quotes","data":[)";
  static constexpr std::string_view stale_head = R"({"channel":"quotes","stale":true,"data":[)";
  auto head = stale ? stale_head : live_head;
  std::string frame;
  size_t in_frame = 0, sent = 0;
  auto flush = [&] {
    frame += "]}";
    send_frame(self, std::move(frame));
    frame.clear();
    in_frame = 0;
  };
  for (auto& [_, f] : st.watching) {
    if (board.version(f.slot) == f.sent_version)
      continue;
    auto q = board.latest(f.slot);
    f.sent_version = q->version();
    if (in_frame == 0)
      frame.append(head);
    else
      frame.push_back(',');
    frame.append(q->json(f.mode));
    ++sent;
    if (++in_frame == st.opts.quotes_per_frame)
      flush();
  }
  if (in_frame > 0)
    flush();
  if (sent > 0 && st.services.counters)
    st.services.counters->quote_pushes.fetch_add(sent, std::memory_order_relaxed);
  drain_portfolio(self);
}

void drain_portfolio(session_ptr self) {
  auto& st = self->state;
  if (!st.holdings || !st.channels.count("portfolio"))
    return;
  auto& board = *st.services.quotes;
  uint64_t prices = 0;
  for (auto& h : st.holdings->holdings)
    if (auto slot = board.slot_of(h.symbol))
      prices += board.version(*slot);
  if (!st.holdings_changed && prices == st.portfolio_prices_sent)
    return;
  st.holdings_changed = false;
  st.portfolio_prices_sent = prices;
  auto value = value_portfolio(*st.holdings,
                               [&](const std::string& symbol) { return board.quote_of(symbol); });
  json_writer w;
  w.begin_object().field("channel", "portfolio").field("type", "portfolio").key("data");
  write_portfolio(w, value);
  w.end_object();
  send_frame(self, w.take());
}

void on_frame(session_ptr self, const std::string& text) {
  std::string why;
  auto msg = json_object::parse(text, &why);
  if (!msg) {
    send_error(self, "malformed_json", why);
    return;
  }
  auto action = msg->find("action");
  if (!action || action->type != json_field::kind::string) {
    send_error(self, "missing_field", "action is required", "action");
    return;
  }
  auto& a = action->text;
  if (a == "auth") {
    auto token = msg->find("token");
    auto user = token && token->type == json_field::kind::string ? self->state.verify(token->text)
                                                                 : std::nullopt;
    if (!user) {
      send_error(self, "unauthorized", "token is missing, invalid or expired", "token");
      return;
    }
    if (self->state.user && *self->state.user != *user) {
      send_error(self, "unauthorized", "this connection is already signed in as another user",
                 "token");
      return;
    }
    if (!self->state.user && !self->state.services.connections->take(*user)) {
      // Refused and closed: an open, unauthenticated socket is no use to a client over its limit.
      send_error(self, "too_many_connections",
                 "at most " + std::to_string(self->state.services.connections->per_user())
                   + " signed-in connections per user; close one first");
      self->state.sink->close(close_policy_violation, "too many connections");
      self->quit();
      return;
    }
    self->state.user = user;
    *self->state.signed_in = *user;
    if (auto& census = self->state.services.census)
      census->set_key(self->id(), "user " + std::to_string(*user));
    send_ack(self, "auth");
  } else if (a == "subscribe" || a == "unsubscribe" || a == "mode") {
    auto channels = msg->find("channels");
    auto symbols = msg->find("symbols");
    if (!channels && !symbols) {
      send_error(self, "missing_field", "symbols or channels is required", "symbols");
      return;
    }
    if (symbols)
      on_symbols(self, a, *symbols, msg->find("mode"));
    if (!channels || a == "mode")
      return;
    if (channels->type != json_field::kind::array || !channels->array_of_strings) {
      send_error(self, "invalid_field", "channels must be an array of strings", "channels");
      return;
    }
    for (auto& c : channels->strings) {
      if (c != "orders" && c != "alerts" && c != "portfolio" && c != "notifications") {
        send_error(self, "unknown_channel", "unknown channel " + c, "channels");
        continue;
      }
      if (a == "subscribe")
        subscribe_account(self, c);
      else
        unsubscribe_account(self, c);
    }
  } else if (a == "ping") {
    send_frame(self, R"({"type":"pong"})");
  } else {
    send_error(self, "unknown_action", "unknown action " + a, "action");
  }
}

template <class View>
std::string push_frame(std::string_view channel, std::string_view type, const View& write) {
  json_writer w;
  w.begin_object().field("channel", channel).field("type", type).key("data");
  write(w);
  w.end_object();
  return w.take();
}

void unwatch_all(session_ptr self) {
  auto& st = self->state;
  auto me = caf::actor_cast<caf::actor>(self);
  if (st.account)
    self->send(st.account, unwatch_atom::value, me);
  if (wants_beat(st))
    self->send(st.services.fanout, unwatch_atom::value, me);
}

// For the operator console: who, what it follows, how far behind its socket is.
std::string describe(const session_state& st) {
  json_writer w;
  w.begin_object();
  if (st.user)
    w.field("user", static_cast<int64_t>(*st.user));
  else
    w.key("user").null();
  w.key("channels").begin_array();
  for (auto& c : st.channels)
    w.value(c);
  w.end_array().field("symbols", static_cast<int64_t>(st.watching.size())).key("following").begin_array();
  size_t shown = 0;
  for (auto& [symbol, f] : st.watching) {
    if (++shown > 100)
      break;
    w.value(symbol);
  }
  w.end_array()
    .field("outboundQueue", static_cast<int64_t>(st.sink->queued_frames()))
    .field("maxOutboundQueue", static_cast<int64_t>(st.opts.max_queued_frames))
    .field("behind", st.behind_since.has_value())
    .field("toldStale", st.told_stale)
    .end_object();
  return w.take();
}

caf::behavior session_actor(session_ptr self, session_services services, session_options opts,
                            std::shared_ptr<frame_sink> sink, token_verifier verify) {
  self->state.sink = std::move(sink);
  self->state.services = std::move(services);
  self->state.opts = opts;
  self->state.verify = std::move(verify);
  // Whatever ends the actor, the socket goes with it.
  // The signed-in user's place is given back however the session ends.
  auto signed_in = std::make_shared<std::optional<user_id>>();
  self->attach_functor([sink = self->state.sink, connections = self->state.services.connections,
                        signed_in, quotes = self->state.services.quotes,
                        followed = self->state.followed_slots](const caf::error&) {
    sink->close(close_normal, "session ended");
    for (auto slot : *followed)
      quotes->count_follower(slot, -1);
    if (*signed_in)
      connections->give_back(**signed_in);
  });
  self->state.signed_in = signed_in;
  self->set_down_handler([=](const caf::down_msg& dm) {
    if (self->state.account && dm.source == self->state.account.address())
      refollow_account(self);
  });
  return instrumented(self, self->state.services.census, actor_kind::session, "", 0, {
    [=](inspect_atom) { return describe(self->state); },
    [=](kick_atom, const std::string& reason) {
      self->state.sink->close(close_policy_violation, "disconnected by an operator: " + reason);
      self->quit();
    },
    [=](frame_atom, const std::string& text) { on_frame(self, text); },
    [=](frame_atom, bool /* binary */) {
      send_error(self, "unsupported_frame", "binary frames are not supported; send JSON text");
    },
    [=](push_atom, const order& o) {
      if (self->state.channels.count("orders"))
        send_frame(self, push_frame("orders", "order", [&](json_writer& w) { write_order(w, o); }));
    },
    [=](push_atom, const cash_balance& c) {
      if (self->state.channels.count("orders"))
        send_frame(self, push_frame("orders", "balance", [&](json_writer& w) { write_balance(w, c); }));
    },
    [=](push_atom, const price_alert& a) {
      if (self->state.channels.count("alerts"))
        send_frame(self, push_frame("alerts", "alert", [&](json_writer& w) { write_alert(w, a); }));
    },
    [=](push_atom, const notification& n) {
      if (self->state.channels.count("notifications"))
        send_frame(self, push_frame("notifications", "notification",
                                    [&](json_writer& w) { write_notification(w, n); }));
    },
    [=](push_atom, account_holdings& h) {
      if (!self->state.channels.count("portfolio"))
        return;
      self->state.holdings = std::move(h);
      self->state.holdings_changed = true; // sent on the next beat, conflated with prices
    },
    [=](drain_atom) { drain(self); },
    [=](closed_atom) {
      unwatch_all(self);
      self->quit();
    },
  });
}

// Feeds a connection's frames to its session actor.
class session_frames final : public frame_handler {
public:
  explicit session_frames(caf::actor session) : session_(std::move(session)) {}
  void on_text(std::string frame) override {
    caf::anon_send(session_, frame_atom::value, std::move(frame));
  }
  void on_binary(std::string) override { caf::anon_send(session_, frame_atom::value, true); }
  void on_closed() override { caf::anon_send(session_, closed_atom::value); }

private:
  caf::actor session_;
};

} // namespace

std::shared_ptr<frame_handler> open_session(caf::actor_system& sys, session_services services,
                                            session_options opts,
                                            std::shared_ptr<frame_sink> sink,
                                            token_verifier verify) {
  auto session = sys.spawn(session_actor, std::move(services), opts, std::move(sink),
                           std::move(verify));
  return std::make_shared<session_frames>(std::move(session));
}

} // namespace broker
