#include "edge/responses.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "protocol/clock.hpp"

namespace broker::edge {

std::optional<std::string> bearer_token(const http_request& req) {
  auto h = req.header("authorization");
  if (!h || h->size() <= 7 || h->at(6) != ' ')
    return std::nullopt;
  auto scheme = h->substr(0, 6); // the scheme is case-insensitive (RFC 9110)
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer")
    return std::nullopt;
  return h->substr(7);
}

int http_status(reject_reason r) {
  switch (r) {
    case reject_reason::kyc_not_verified: return 403;
    case reject_reason::insufficient_funds:
    case reject_reason::insufficient_holdings:
    case reject_reason::unknown_symbol:
    case reject_reason::market_closed:
    case reject_reason::invalid_tick_size:
    case reject_reason::invalid_lot_size:
    case reject_reason::outside_price_band:
    case reject_reason::idempotency_conflict:
    case reject_reason::insufficient_withdrawable:
    case reject_reason::too_many_alerts:
    case reject_reason::too_many_watchlists:
    case reject_reason::watchlist_full: return 422;
    case reject_reason::order_not_found:
    case reject_reason::alert_not_found:
    case reject_reason::watchlist_not_found:
    case reject_reason::notification_not_found:
    case reject_reason::user_not_found: return 404;
    case reject_reason::order_not_cancellable:
    case reject_reason::alert_not_active:
    case reject_reason::watchlist_name_taken:
    case reject_reason::email_taken:
    case reject_reason::kyc_already_submitted: return 409;
    case reject_reason::invalid_credentials: return 401;
    case reject_reason::payment_failed: return 402;
    case reject_reason::storage_unavailable:
    case reject_reason::exchange_unavailable:
    case reject_reason::overloaded: return 503;
    case reject_reason::interrupted: return 503;
    case reject_reason::symbol_halted: return 409;
    case reject_reason::actor_not_found: return 404;
    case reject_reason::trading_blocked: return 403;
    case reject_reason::internal_error: return 500;
  }
  return 500;
}

http_response json(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response error(int status, std::string_view code, std::string_view message,
                    std::string_view field) {
  return json(status, error_body(code, message, field));
}

http_response error(const rejection& r) {
  return error(http_status(r.reason), code_of(r.reason), r.message, r.field);
}

http_response bad_request(const request_error& e) {
  return error(400, e.code, e.message, e.field);
}

std::optional<int64_t> positive_integer(std::string_view s) {
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  auto v = std::stoll(std::string{s});
  return v > 0 ? std::optional<int64_t>{v} : std::nullopt;
}

void write_paging(json_writer& w, int64_t page, int64_t limit, int64_t total) {
  w.field("page", page)
    .field("limit", limit)
    .field("total", total)
    .field("totalPages", (total + limit - 1) / limit);
}

bool read_paging(const http_request& req, int64_t& page, int64_t& limit, int64_t max_limit,
                 respond_fn& respond) {
  constexpr int64_t max_page = 1'000'000;
  if (auto v = req.query_param("page")) {
    auto n = positive_integer(*v);
    if (!n || *n > max_page) {
      respond(error(400, "invalid_field", "page must be a whole number from 1 to " + std::to_string(max_page),
                    "page"));
      return false;
    }
    page = *n;
  }
  if (auto v = req.query_param("limit")) {
    // Over the maximum is clamped to it, and the answer's limit says so (as
    // Kite and Alpaca do): a client asking for "all" gets the most there is
    // per page, not an error it may read as "nothing". Digits too many for
    // an int64 are over the maximum all the same.
    bool digits = !v->empty() && std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; });
    bool zero = digits && v->find_first_not_of('0') == std::string::npos;
    if (!digits || zero) {
      respond(error(400, "invalid_field", "limit must be a whole number from 1 (at most " + std::to_string(max_limit)
                                            + " are returned)", "limit"));
      return false;
    }
    auto n = positive_integer(*v);
    limit = n && *n <= max_limit ? *n : max_limit;
  }
  return true;
}

bool read_time_range(const http_request& req, timestamp& from, timestamp& to, respond_fn& respond) {
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto v = req.query_param(name)) {
      auto t = parse_iso_time(*v);
      if (!t) {
        respond(error(400, "invalid_field",
                      std::string{name} + " must be an ISO-8601 UTC time (2026-01-21T09:15:00Z) or date",
                      name));
        return false;
      }
      *target = *t;
    }
  }
  if (from >= to) {
    respond(error(400, "invalid_field", "from must be before to", "from"));
    return false;
  }
  return true;
}

} // namespace broker::edge
