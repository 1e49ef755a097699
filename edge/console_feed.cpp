#include "edge/console_feed.hpp"

#include <mutex>

#include "edge/responses.hpp"
#include "protocol/json_reader.hpp"

namespace broker::edge {

namespace {

constexpr std::chrono::milliseconds push_every{1000};

// Shared by the connection (frames in, on its strand) and the ticker (on a
// CAF worker); one mutex over what both touch.
class console_feed final : public ws_handler, public std::enable_shared_from_this<console_feed> {
public:
  console_feed(node& n, const token_authority& tokens, actor_table& table, load_figures load,
               std::shared_ptr<ws_sink> sink, std::function<void(const std::string&)> audit)
    : node_(n), tokens_(tokens), table_(table), load_(std::move(load)), sink_(std::move(sink)),
      audit_(std::move(audit)) {}

  void on_text(std::string frame) override {
    std::string why;
    auto msg = json_object::parse(frame, &why);
    if (!msg)
      return send_error("malformed_json", why, "");
    auto action = msg->find("action");
    if (!action || action->type != json_field::kind::string)
      return send_error("missing_field", "action is required: auth or watch", "action");
    if (action->text == "auth") {
      auto token = msg->find("token");
      auto who = token && token->type == json_field::kind::string ? tokens_.subject_of(token->text) : std::nullopt;
      if (!who)
        return send_error("unauthorized", "an operator's token is required", "token");
      std::shared_ptr<void> old_ticker;
      {
        std::lock_guard<std::mutex> guard{mutex_};
        operator_name_ = *who;
        charts_slot_ = -1; // the charts go out with the first push
        old_ticker = std::move(ticker_);
        std::weak_ptr<console_feed> me = shared_from_this();
        ticker_ = node_.every(push_every, [me] {
          if (auto feed = me.lock())
            feed->push();
        });
      }
      audit_(*who);
      send_ack("auth");
      return;
    }
    if (action->text == "watch") {
      actor_query q;
      for (auto& [name, f] : msg->fields()) {
        if (name == "action")
          continue;
        std::string value = f.type == json_field::kind::string || f.type == json_field::kind::number ? f.text : "";
        if (auto bad = set_query_field(q, name, value))
          return send_error("invalid_field", bad->message, bad->field);
      }
      {
        std::lock_guard<std::mutex> guard{mutex_};
        query_ = q;
      }
      send_ack("watch");
      return;
    }
    send_error("unknown_action", "action is auth or watch", "action");
  }
  void on_binary(std::string) override { send_error("unsupported_frame", "send JSON text", ""); }
  void on_closed() override {
    std::shared_ptr<void> ticker;
    std::lock_guard<std::mutex> guard{mutex_};
    ticker = std::move(ticker_); // stops the pushes
  }

private:
  void push() {
    actor_query q;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      q = query_;
    }
    if (sink_->queued_frames() > 0)
      return; // the client has not read the last one yet
    push_charts();
    std::weak_ptr<console_feed> me = shared_from_this();
    node_.sample_actors(std::chrono::milliseconds{900}, [me, q](std::variant<std::vector<actor_sample>, rejection> r) {
      auto feed = me.lock();
      if (!feed || std::holds_alternative<rejection>(r))
        return;
      auto table = feed->table_.render(std::get<std::vector<actor_sample>>(r), q);
      json_writer w;
      w.begin_object()
        .field("type", "actors")
        .time_field("at", feed->node_.clock().now())
        .field("halts", static_cast<int64_t>(feed->node_.halts().all().size()))
        .field("exchangeUp", feed->node_.exchange_status().up.load())
        .key("table")
        .raw(table)
        .end_object();
      feed->sink_->send_text(w.take());
    });
  }
  // The charts change once a slot: sent when one has closed since the last.
  void push_charts() {
    int64_t slot = load_.requests->now_ns() / load_.requests->settings().slot_ns;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (slot == charts_slot_)
        return;
      charts_slot_ = slot;
    }
    json_writer w;
    w.begin_object().field("type", "charts").key("charts").raw(render_load_charts(load_)).end_object();
    sink_->send_text(w.take());
  }
  void send_ack(const char* action) {
    json_writer w;
    w.begin_object().field("type", "ack").field("action", action).end_object();
    sink_->send_text(w.take());
  }
  void send_error(const std::string& code, const std::string& message, const std::string& field) {
    json_writer w;
    w.begin_object().field("type", "error").field("code", code).field("message", message);
    if (!field.empty())
      w.field("field", field);
    w.end_object();
    sink_->send_text(w.take());
  }

  node& node_;
  const token_authority& tokens_;
  actor_table& table_;
  load_figures load_;
  std::shared_ptr<ws_sink> sink_;
  std::function<void(const std::string&)> audit_;
  std::mutex mutex_;
  std::string operator_name_;
  actor_query query_;
  int64_t charts_slot_ = -1;
  std::shared_ptr<void> ticker_;
};

} // namespace

std::shared_ptr<ws_handler> open_console_feed(node& n, const token_authority& operator_tokens, actor_table& table,
                                              const load_figures& load, std::shared_ptr<ws_sink> sink,
                                              std::function<void(const std::string&)> audit) {
  return std::make_shared<console_feed>(n, operator_tokens, table, load, std::move(sink), std::move(audit));
}

} // namespace broker::edge
