#pragma once
// Why the broker refused a command. One enum for the whole broker; edge/ maps
// each reason to an HTTP status in one table (edge/error_mapping.cpp).
#include <cstdint>
#include <string>
#include <string_view>

namespace broker {

enum class reject_reason : uint8_t {
  kyc_not_verified = 1,
  insufficient_funds,
  insufficient_holdings,
  unknown_symbol,
  market_closed,
  invalid_tick_size,
  invalid_lot_size,
  outside_price_band,
  order_not_found,
  order_not_cancellable,
  idempotency_conflict,
  storage_unavailable,
  exchange_unavailable,
  email_taken,
  invalid_credentials,
  kyc_already_submitted,
  insufficient_withdrawable,
  payment_failed,
  user_not_found,
  overloaded, // the request waited past its deadline: nothing was done, try again
  internal_error,
  too_many_alerts,
  alert_not_found,
  alert_not_active,
  watchlist_not_found,
  watchlist_name_taken,
  too_many_watchlists,
  watchlist_full,
  notification_not_found,
  interrupted, // the actor handling it died mid-request (it restarts from the store): done or not, unknown
  symbol_halted, // an operator halted trading in the symbol: new orders wait until it resumes
  actor_not_found, // operator console: no live actor has that id
  trading_blocked, // an operator blocked the user from placing orders
};

std::string_view code_of(reject_reason r); // "insufficient_funds"

struct rejection {
  reject_reason reason = reject_reason::internal_error;
  std::string message;
  std::string field; // the request field at fault, if one is
};

} // namespace broker
