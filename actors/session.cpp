#include "actors/session.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_reader.hpp"
#include "protocol/views.hpp"

namespace broker {

namespace {

struct session_state {
  std::shared_ptr<frame_sink> sink;
  caf::actor directory;
  token_verifier verify;
  std::optional<user_id> user;
  caf::actor account; // set while subscribed to "orders"
  static inline const char* name = "session";
};

using session_ptr = caf::stateful_actor<session_state>*;

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

void subscribe_orders(session_ptr self) {
  auto& st = self->state;
  if (!st.user) {
    send_error(self, "unauthorized", "send {\"action\":\"auth\",\"token\":...} first", "channels");
    return;
  }
  if (st.account) {
    send_ack(self, "subscribe", "orders");
    return;
  }
  self->request(st.directory, caf::infinite, account_atom::value, *st.user)
    .then(
      [=](const caf::actor& account) {
        self->state.account = account;
        self->send(account, watch_atom::value, caf::actor_cast<caf::actor>(self));
        send_ack(self, "subscribe", "orders");
      },
      [=](caf::error&) { send_error(self, "unavailable", "account not available", "channels"); });
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
    self->state.user = user;
    send_ack(self, "auth");
  } else if (a == "subscribe" || a == "unsubscribe") {
    auto channels = msg->find("channels");
    if (!channels || channels->type != json_field::kind::array || !channels->array_of_strings) {
      send_error(self, "invalid_field", "channels must be an array of strings", "channels");
      return;
    }
    for (auto& c : channels->strings) {
      if (c != "orders") {
        send_error(self, "unknown_channel", "unknown channel " + c, "channels");
        continue;
      }
      if (a == "subscribe") {
        subscribe_orders(self);
      } else {
        if (self->state.account)
          self->send(self->state.account, unwatch_atom::value, caf::actor_cast<caf::actor>(self));
        self->state.account = nullptr;
        send_ack(self, "unsubscribe", "orders");
      }
    }
  } else if (a == "ping") {
    send_frame(self, R"({"type":"pong"})");
  } else {
    send_error(self, "unknown_action", "unknown action " + a, "action");
  }
}

template <class View>
std::string push_frame(std::string_view type, const View& write) {
  json_writer w;
  w.begin_object().field("channel", "orders").field("type", type).key("data");
  write(w);
  w.end_object();
  return w.take();
}

caf::behavior session_actor(session_ptr self, caf::actor directory,
                            std::shared_ptr<frame_sink> sink, token_verifier verify) {
  self->state.sink = std::move(sink);
  self->state.directory = std::move(directory);
  self->state.verify = std::move(verify);
  // Whatever ends the actor, the socket goes with it.
  self->attach_functor([sink = self->state.sink](const caf::error&) {
    sink->close(close_normal, "session ended");
  });
  return {
    [=](frame_atom, const std::string& text) { on_frame(self, text); },
    [=](frame_atom, bool /* binary */) {
      send_error(self, "unsupported_frame", "binary frames are not supported; send JSON text");
    },
    [=](push_atom, const order& o) {
      send_frame(self, push_frame("order", [&](json_writer& w) { write_order(w, o); }));
    },
    [=](push_atom, const cash_balance& c) {
      send_frame(self, push_frame("balance", [&](json_writer& w) { write_balance(w, c); }));
    },
    [=](closed_atom) {
      if (self->state.account)
        self->send(self->state.account, unwatch_atom::value, caf::actor_cast<caf::actor>(self));
      self->quit();
    },
  };
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

std::shared_ptr<frame_handler> open_session(caf::actor_system& sys, caf::actor directory,
                                            std::shared_ptr<frame_sink> sink,
                                            token_verifier verify) {
  auto session = sys.spawn(session_actor, std::move(directory), std::move(sink), std::move(verify));
  return std::make_shared<session_frames>(std::move(session));
}

} // namespace broker
