#include "edge/rest_api.hpp"

#include "edge/responses.hpp"

#include <cctype>

#include "protocol/decimal.hpp"
#include "protocol/views.hpp"

namespace broker::edge {

namespace {

// Adapts the transport's WebSocket to the session actor's frame interfaces.
class ws_frames_out final : public frame_sink {
public:
  explicit ws_frames_out(std::shared_ptr<ws_sink> s) : sink_(std::move(s)) {}
  bool send_text(std::string frame) override { return sink_->send_text(std::move(frame)); }
  void close(uint16_t code, std::string reason) override { sink_->close(code, std::move(reason)); }
  size_t queued_frames() const override { return sink_->queued_frames(); }

private:
  std::shared_ptr<ws_sink> sink_;
};

class ws_frames_in final : public ws_handler {
public:
  explicit ws_frames_in(std::shared_ptr<frame_handler> h) : handler_(std::move(h)) {}
  void on_text(std::string frame) override { handler_->on_text(std::move(frame)); }
  void on_binary(std::string frame) override { handler_->on_binary(std::move(frame)); }
  void on_closed() override { handler_->on_closed(); }

private:
  std::shared_ptr<frame_handler> handler_;
};

const std::string orders_prefix = "/v1/orders/";
const std::string alerts_prefix = "/v1/alerts/";
const std::string stocks_prefix = "/v1/stocks/";

} // namespace

void rest_api::on_stocks(const http_request& req, respond_fn respond) {
  const auto& path = req.path;
  const auto& all = node_.instruments().all();
  if (path == "/v1/stocks") {
    int64_t page = 1, limit = 50;
    if (!read_paging(req, page, limit, 500, respond))
      return;
    auto total = static_cast<int64_t>(all.size());
    json_writer w;
    w.begin_object().key("stocks").begin_array();
    for (int64_t i = (page - 1) * limit; i < total && i < page * limit; ++i)
      write_instrument(w, all[static_cast<size_t>(i)]);
    w.end_array();
    write_paging(w, page, limit, total);
    w.end_object();
    respond(json(200, w.take()));
    return;
  }
  if (path == "/v1/stocks/search") {
    auto q = req.query_param("q");
    if (!q || q->empty() || q->size() > 64) {
      respond(error(400, q ? "invalid_field" : "missing_field",
                    "q is required: 1 to 64 characters of a symbol or company name", "q"));
      return;
    }
    int64_t page = 1, limit = 20;
    if (!read_paging(req, page, limit, 100, respond))
      return;
    json_writer w;
    w.begin_object().field("query", *q).field("limit", limit).key("results").begin_array();
    for (auto* i : node_.instruments().search(*q, static_cast<size_t>(limit)))
      write_instrument(w, *i);
    w.end_array().end_object();
    respond(json(200, w.take()));
    return;
  }
  auto symbol = path.substr(stocks_prefix.size());
  constexpr std::string_view history_suffix = "/history";
  if (symbol.size() > history_suffix.size()
      && symbol.compare(symbol.size() - history_suffix.size(), history_suffix.size(), history_suffix) == 0) {
    on_history(req, symbol.substr(0, symbol.size() - history_suffix.size()), std::move(respond));
    return;
  }
  if (symbol.empty() || symbol.find('/') != std::string::npos) {
    respond(error(404, "not_found", "no such endpoint"));
    return;
  }
  if (!node_.instruments().find(symbol)) {
    respond(error(404, "unknown_symbol", "unknown symbol " + symbol, "symbol"));
    return;
  }
  node_.get_quote(symbol, answer<quote>(std::move(respond), 200, [this](json_writer& w, const quote& q) {
                    write_quote(w, q, quote_mode::full, !node_.exchange_status().market_data.load());
                  }));
}

// GET /v1/stocks/{symbol}/history?interval=1m|5m|15m|1h|1d&from=&to= (ISO-8601
// UTC times or dates; default: this trading day so far). Past days come from
// the store, today from the symbol actor.
void rest_api::on_history(const http_request& req, const std::string& symbol, respond_fn respond) {
  if (!node_.instruments().find(symbol)) {
    respond(error(404, "unknown_symbol", "unknown symbol " + symbol, "symbol"));
    return;
  }
  const std::string* asked = req.query_param("interval");
  std::string interval_text = asked ? *asked : "1m";
  auto interval = parse_candle_interval(interval_text);
  if (!interval) {
    respond(error(400, "invalid_field", "interval must be one of 1m, 5m, 15m, 1h, 1d", "interval"));
    return;
  }
  timestamp now = node_.clock().now();
  timestamp from = node_.calendar().session_start(now);
  timestamp to = now + ns_per_minute;
  if (!read_time_range(req, from, to, respond))
    return;
  timestamp origin = node_.calendar().session_start(from);
  int64_t step = *interval;
  // A bounded answer: a year of 1m bars is ~90,000 candles; ask for 1d instead.
  constexpr int64_t max_candles = 10'000;
  if ((to - from) / step > max_candles) {
    respond(error(400, "range_too_large",
                  "at most " + std::to_string(max_candles) + " " + interval_text
                    + " candles per request; narrow from/to or use a larger interval",
                  "from"));
    return;
  }
  node_.get_candles(symbol, from, to,
                    answer<std::vector<candle>>(
                      std::move(respond), 200,
                      [symbol, interval_text, step, origin](json_writer& w, const std::vector<candle>& minutes) {
                        w.begin_object()
                          .field("symbol", symbol)
                          .field("interval", interval_text)
                          .key("candles")
                          .begin_array();
                        for (auto& c : aggregate(minutes, step, origin)) {
                          w.begin_object()
                            .time_field("timestamp", c.start)
                            .money_field("open", c.open)
                            .money_field("high", c.high)
                            .money_field("low", c.low)
                            .money_field("close", c.close)
                            .field("volume", c.volume)
                            .end_object();
                        }
                        w.end_array().end_object();
                      }));
}

// GET /v1/market/movers?type=gainers|losers&limit= and GET /v1/market/indices.
void rest_api::on_market(const http_request& req, respond_fn respond) {
  if (req.path == "/v1/market/indices") {
    node_.get_indices(answer<std::vector<index_value>>(
      std::move(respond), 200, [](json_writer& w, const std::vector<index_value>& all) {
        w.begin_object().key("indices").begin_array();
        for (auto& v : all) {
          w.begin_object()
            .field("name", v.name)
            .money_field("value", v.level)
            .money_field("change", v.level - v.prev_close)
            .money_field("changePercent", change_basis_points(v.level, v.prev_close))
            .money_field("prevClose", v.prev_close);
          if (v.time > 0)
            w.time_field("timestamp", v.time);
          else
            w.key("timestamp").null();
          w.end_object();
        }
        w.end_array().end_object();
      }));
    return;
  }
  const std::string* type = req.query_param("type");
  std::string kind = type ? *type : "gainers";
  if (kind != "gainers" && kind != "losers") {
    respond(error(400, "invalid_field", "type must be gainers or losers", "type"));
    return;
  }
  int64_t page = 1, limit = 10;
  if (!read_paging(req, page, limit, 50, respond))
    return;
  node_.get_movers(kind == "gainers", limit,
                   answer<std::vector<quote>>(std::move(respond), 200,
                                              [this, kind, limit](json_writer& w, const std::vector<quote>& qs) {
                                                w.begin_object().field("type", kind).field("limit", limit);
                                                w.field("stale", !node_.exchange_status().market_data.load());
                                                w.key("movers").begin_array();
                                                for (auto& q : qs)
                                                  write_quote(w, q, quote_mode::quote);
                                                w.end_array().end_object();
                                              }));
}

void rest_api::on_request(http_request req, respond_fn respond) {
  const auto& path = req.path;
  const auto& method = req.method;

  // Public routes.
  if (path == "/v1/health") {
    respond(json(200, R"({"status":"ok"})"));
    return;
  }
  if (path == "/v1/metrics") { // Prometheus text format, for operators and load tools
    auto& c = node_.counters();
    http_response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = "# TYPE broker_ticks_ingested_total counter\nbroker_ticks_ingested_total "
             + std::to_string(c.ticks_ingested.load(std::memory_order_relaxed))
             + "\n# TYPE broker_quote_pushes_total counter\nbroker_quote_pushes_total "
             + std::to_string(c.quote_pushes.load(std::memory_order_relaxed)) + "\n";
    auto& x = node_.exchange_status();
    r.body += "# TYPE broker_exchange_link_up gauge\nbroker_exchange_link_up " + std::to_string(x.up.load() ? 1 : 0)
              + "\n# TYPE broker_exchange_connects_total counter\nbroker_exchange_connects_total "
              + std::to_string(x.connects.load())
              + "\n# TYPE broker_reconciliation_repairs_total counter\nbroker_reconciliation_repairs_total "
              + std::to_string(x.repairs.load())
              + "\n# TYPE broker_exchange_status_checks_total counter\nbroker_exchange_status_checks_total "
              + std::to_string(x.status_checks.load())
              + "\n# TYPE broker_market_data_stale gauge\nbroker_market_data_stale "
              + std::to_string(x.market_data.load() ? 0 : 1) + "\n";
    respond(std::move(r));
    return;
  }
  if (path == "/v1/users/signup" || path == "/v1/users/login") {
    if (method != "POST") {
      respond(error(405, "method_not_allowed", "use POST"));
      return;
    }
    if (path == "/v1/users/signup") {
      auto parsed = parse_signup(req.body);
      if (auto e = std::get_if<request_error>(&parsed)) {
        respond(bad_request(*e));
        return;
      }
      node_.signup(std::get<signup_request>(std::move(parsed)),
                   answer<user_id>(std::move(respond), 201, [](json_writer& w, user_id id) {
                     w.begin_object().field("userId", std::to_string(id)).end_object();
                   }));
      return;
    }
    auto parsed = parse_login(req.body);
    if (auto e = std::get_if<request_error>(&parsed)) {
      respond(bad_request(*e));
      return;
    }
    const auto& tokens = tokens_;
    node_.login(std::get<login_request>(std::move(parsed)),
                answer<user_id>(std::move(respond), 200, [&tokens](json_writer& w, user_id id) {
                  auto t = tokens.issue(id);
                  w.begin_object()
                    .field("token", t.token)
                    .field("userId", std::to_string(id))
                    .time_field("expiresAt", t.expires_at)
                    .end_object();
                }));
    return;
  }

  // Market data is public.
  bool market = path == "/v1/market/movers" || path == "/v1/market/indices";
  if (market || path == "/v1/stocks" || path.rfind(stocks_prefix, 0) == 0) {
    if (method != "GET")
      respond(error(405, "method_not_allowed", "use GET"));
    else if (market)
      on_market(req, std::move(respond));
    else
      on_stocks(req, std::move(respond));
    return;
  }

  // Everything else needs a valid bearer token.
  std::optional<user_id> user;
  if (auto token = bearer_token(req))
    user = tokens_.verify(*token);
  bool known_route = path == "/v1/users/me" || path == "/v1/users/kyc" || path.rfind("/v1/funds/", 0) == 0
                     || path == "/v1/orders" || path.rfind(orders_prefix, 0) == 0
                     || path == "/v1/alerts" || path.rfind(alerts_prefix, 0) == 0
                     || is_account_view(path) || is_personal_list(path);
  if (!known_route) {
    respond(error(404, "not_found", "no such endpoint"));
    return;
  }
  if (!user) {
    auto r = error(401, "unauthorized", "a valid Bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    respond(std::move(r));
    return;
  }
  auto u = *user;
  auto only = [&](const char* allowed) {
    if (method == allowed)
      return true;
    respond(error(405, "method_not_allowed", std::string{"use "} + allowed));
    return false;
  };

  if (path == "/v1/users/me") {
    if (only("GET"))
      node_.profile(u, answer<user_profile>(std::move(respond), 200, write_profile));
  } else if (path == "/v1/users/kyc") {
    if (!only("POST"))
      return;
    auto parsed = parse_kyc(req.body);
    if (auto e = std::get_if<request_error>(&parsed)) {
      respond(bad_request(*e));
      return;
    }
    node_.submit_kyc(u, std::get<kyc_request>(std::move(parsed)),
                     answer<user_profile>(std::move(respond), 200, [](json_writer& w, const user_profile& p) {
                       w.begin_object().field("kycStatus", to_string(p.kyc));
                       if (!p.kyc_reason.empty())
                         w.field("kycReason", p.kyc_reason);
                       w.end_object();
                     }));
  } else if (is_personal_list(path)) {
    on_personal_list(req, u, std::move(respond));
  } else if (is_account_view(path)) {
    if (only("GET"))
      on_account_view(req, u, std::move(respond));
  } else if (path == "/v1/funds/balance") {
    if (only("GET"))
      node_.balance(u, answer<cash_balance>(std::move(respond), 200, write_balance));
  } else if (path == "/v1/funds/deposit" || path == "/v1/funds/withdraw") {
    if (!only("POST"))
      return;
    auto parsed = parse_transfer(req.body);
    if (auto e = std::get_if<request_error>(&parsed)) {
      respond(bad_request(*e));
      return;
    }
    auto amount = std::get<transfer_request>(parsed).amount;
    auto done = answer<transfer>(std::move(respond), 201, write_transfer);
    if (path == "/v1/funds/deposit")
      node_.deposit(u, amount, std::move(done));
    else
      node_.withdraw(u, amount, std::move(done));
  } else if (path == "/v1/orders") {
    if (method == "POST") {
      std::string key;
      if (auto k = req.header("idempotency-key")) {
        bool printable = !k->empty() && k->size() <= 128;
        for (char c : *k)
          printable = printable && c > 0x20 && c < 0x7f;
        if (!printable) {
          respond(error(400, "invalid_field", "Idempotency-Key must be 1 to 128 visible ASCII characters",
                        "Idempotency-Key"));
          return;
        }
        key = *k;
      }
      auto parsed = parse_place_order(req.body);
      if (auto e = std::get_if<request_error>(&parsed)) {
        respond(bad_request(*e));
        return;
      }
      node_.place_order(u, std::get<place_order_request>(std::move(parsed)), std::move(key),
                        answer<order>(std::move(respond), 201, write_order));
    } else if (method == "GET") {
      order_query q;
      if (auto s = req.query_param("status"); s && !s->empty()) {
        if (!parse_order_status(*s)) {
          respond(error(400, "invalid_field", "status is not an order status", "status"));
          return;
        }
        q.status = *s;
      }
      if (!read_paging(req, q.page, q.limit, 500, respond))
        return;
      node_.list_orders(u, q, answer<order_page>(std::move(respond), 200,
                                                  [q](json_writer& w, const order_page& p) {
                                                    w.begin_object().key("orders").begin_array();
                                                    for (auto& o : p.orders)
                                                      write_order(w, o);
                                                    w.end_array();
                                                    write_paging(w, q.page, q.limit, p.total);
                                                    w.end_object();
                                                  }));
    } else {
      respond(error(405, "method_not_allowed", "use GET or POST"));
    }
  } else if (path == "/v1/alerts") {
    if (method == "POST") {
      auto parsed = parse_alert(req.body);
      if (auto e = std::get_if<request_error>(&parsed)) {
        respond(bad_request(*e));
        return;
      }
      node_.create_alert(u, std::get<alert_request>(std::move(parsed)),
                         answer<price_alert>(std::move(respond), 201, write_alert));
    } else if (method == "GET") {
      node_.list_alerts(u, answer<std::vector<price_alert>>(
                             std::move(respond), 200, [](json_writer& w, const std::vector<price_alert>& all) {
                               w.begin_object().key("alerts").begin_array();
                               for (auto it = all.rbegin(); it != all.rend(); ++it) // newest first
                                 write_alert(w, *it);
                               w.end_array().end_object();
                             }));
    } else {
      respond(error(405, "method_not_allowed", "use GET or POST"));
    }
  } else if (path.rfind(alerts_prefix, 0) == 0) {
    auto id = positive_integer(std::string_view{path}.substr(alerts_prefix.size()));
    if (!id) {
      respond(error(404, "alert_not_found", "no such alert"));
      return;
    }
    if (method == "DELETE")
      node_.cancel_alert(u, *id, answer<price_alert>(std::move(respond), 200, write_alert));
    else
      respond(error(405, "method_not_allowed", "use DELETE"));
  } else if (path.rfind(orders_prefix, 0) == 0) {
    auto id = positive_integer(std::string_view{path}.substr(orders_prefix.size()));
    if (!id) {
      respond(error(404, "order_not_found", "no such order"));
      return;
    }
    if (method == "GET")
      node_.get_order(u, *id, answer<order>(std::move(respond), 200, write_order));
    else if (method == "DELETE")
      node_.cancel_order(u, *id, answer<order>(std::move(respond), 202, write_order));
    else
      respond(error(405, "method_not_allowed", "use GET or DELETE"));
  } else {
    respond(error(404, "not_found", "no such endpoint"));
  }
}

std::shared_ptr<ws_handler> rest_api::on_websocket(const http_request& req,
                                                   std::shared_ptr<ws_sink> sink) {
  if (req.path != "/v1/ws")
    return nullptr;
  const auto& tokens = tokens_;
  auto handler = node_.open_session(std::make_shared<ws_frames_out>(std::move(sink)),
                                    [&tokens](const std::string& t) { return tokens.verify(t); });
  return std::make_shared<ws_frames_in>(std::move(handler));
}

} // namespace broker::edge
