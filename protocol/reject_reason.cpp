#include "protocol/reject_reason.hpp"

namespace broker {

std::string_view code_of(reject_reason r) {
  switch (r) {
    case reject_reason::kyc_not_verified: return "kyc_not_verified";
    case reject_reason::insufficient_funds: return "insufficient_funds";
    case reject_reason::insufficient_holdings: return "insufficient_holdings";
    case reject_reason::unknown_symbol: return "unknown_symbol";
    case reject_reason::market_closed: return "market_closed";
    case reject_reason::invalid_tick_size: return "invalid_tick_size";
    case reject_reason::invalid_lot_size: return "invalid_lot_size";
    case reject_reason::outside_price_band: return "outside_price_band";
    case reject_reason::order_not_found: return "order_not_found";
    case reject_reason::order_not_cancellable: return "order_not_cancellable";
    case reject_reason::idempotency_conflict: return "idempotency_key_reused";
    case reject_reason::storage_unavailable: return "storage_unavailable";
    case reject_reason::exchange_unavailable: return "exchange_unavailable";
    case reject_reason::email_taken: return "email_taken";
    case reject_reason::invalid_credentials: return "invalid_credentials";
    case reject_reason::kyc_already_submitted: return "kyc_already_submitted";
    case reject_reason::insufficient_withdrawable: return "insufficient_withdrawable";
    case reject_reason::payment_failed: return "payment_failed";
    case reject_reason::user_not_found: return "user_not_found";
    case reject_reason::overloaded: return "overloaded";
    case reject_reason::internal_error: return "internal_error";
    case reject_reason::too_many_alerts: return "too_many_alerts";
    case reject_reason::alert_not_found: return "alert_not_found";
    case reject_reason::alert_not_active: return "alert_not_active";
    case reject_reason::watchlist_not_found: return "watchlist_not_found";
    case reject_reason::watchlist_name_taken: return "watchlist_name_taken";
    case reject_reason::too_many_watchlists: return "too_many_watchlists";
    case reject_reason::watchlist_full: return "watchlist_full";
    case reject_reason::notification_not_found: return "notification_not_found";
    case reject_reason::interrupted: return "interrupted";
    case reject_reason::symbol_halted: return "symbol_halted";
    case reject_reason::actor_not_found: return "actor_not_found";
    case reject_reason::trading_blocked: return "trading_blocked";
  }
  return "internal_error";
}

} // namespace broker
