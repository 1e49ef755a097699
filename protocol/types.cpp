#include "protocol/types.hpp"

#include <array>
#include <utility>

namespace broker {

namespace {

// One table per enum: the wire name at the enum's index.
template <class E, size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<E>(i);
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> side_names{"BUY", "SELL"};
constexpr std::array<std::string_view, 4> order_type_names{"MARKET", "LIMIT", "SL", "SL-M"};
constexpr std::array<std::string_view, 2> validity_names{"DAY", "IOC"};
constexpr std::array<std::string_view, 8> order_status_names{
  "PENDING", "OPEN", "PARTIALLY_FILLED", "FILLED",
  "PENDING_CANCEL", "CANCELLED", "REJECTED", "EXPIRED"};
constexpr std::array<std::string_view, 4> kyc_status_names{
  "NOT_STARTED", "PENDING", "VERIFIED", "REJECTED"};
constexpr std::array<std::string_view, 6> exec_kind_names{
  "ACCEPTED", "TRADE", "CANCELLED", "REJECTED", "EXPIRED", "CANCEL_REJECTED"};
constexpr std::array<std::string_view, 2> transfer_kind_names{"DEPOSIT", "WITHDRAWAL"};
constexpr std::array<std::string_view, 3> transfer_status_names{
  "PENDING", "COMPLETED", "FAILED"};

} // namespace

bool is_final(order_status s) {
  switch (s) {
    case order_status::filled:
    case order_status::cancelled:
    case order_status::rejected:
    case order_status::expired:
      return true;
    default:
      return false;
  }
}

bool is_legal_transition(order_status from, order_status to) {
  using s = order_status;
  if (is_final(from))
    return false;
  switch (from) {
    case s::pending: // the exchange has not acknowledged it yet
      return to == s::open || to == s::partially_filled || to == s::filled
             || to == s::rejected || to == s::pending_cancel || to == s::cancelled
             || to == s::expired;
    case s::open:
      return to == s::partially_filled || to == s::filled || to == s::pending_cancel
             || to == s::cancelled || to == s::expired;
    case s::partially_filled:
      return to == s::partially_filled || to == s::filled || to == s::pending_cancel
             || to == s::cancelled || to == s::expired;
    case s::pending_cancel: // a fill may beat the cancel; an unacknowledged order may be rejected
      return to == s::partially_filled || to == s::filled || to == s::cancelled
             || to == s::expired || to == s::open || to == s::pending_cancel
             || to == s::rejected;
    default:
      return false;
  }
}

std::string_view to_string(side x) { return side_names[static_cast<size_t>(x)]; }
std::string_view to_string(order_type x) { return order_type_names[static_cast<size_t>(x)]; }
std::string_view to_string(validity x) { return validity_names[static_cast<size_t>(x)]; }
std::string_view to_string(order_status x) { return order_status_names[static_cast<size_t>(x)]; }
std::string_view to_string(kyc_status x) { return kyc_status_names[static_cast<size_t>(x)]; }
std::string_view to_string(exec_kind x) { return exec_kind_names[static_cast<size_t>(x)]; }
std::string_view to_string(transfer_kind x) { return transfer_kind_names[static_cast<size_t>(x)]; }
std::string_view to_string(transfer_status x) {
  return transfer_status_names[static_cast<size_t>(x)];
}

std::optional<side> parse_side(std::string_view s) { return lookup<side>(side_names, s); }
std::optional<order_type> parse_order_type(std::string_view s) {
  return lookup<order_type>(order_type_names, s);
}
std::optional<validity> parse_validity(std::string_view s) {
  return lookup<validity>(validity_names, s);
}
std::optional<order_status> parse_order_status(std::string_view s) {
  return lookup<order_status>(order_status_names, s);
}
std::optional<kyc_status> parse_kyc_status(std::string_view s) {
  return lookup<kyc_status>(kyc_status_names, s);
}
std::optional<exec_kind> parse_exec_kind(std::string_view s) {
  return lookup<exec_kind>(exec_kind_names, s);
}
std::optional<transfer_kind> parse_transfer_kind(std::string_view s) {
  return lookup<transfer_kind>(transfer_kind_names, s);
}
std::optional<transfer_status> parse_transfer_status(std::string_view s) {
  return lookup<transfer_status>(transfer_status_names, s);
}

money instrument::lower_band() const {
  money raw = reference_price - reference_price * band_percent / 100;
  money rounded = (raw + tick_size - 1) / tick_size * tick_size; // up: stay inside
  return rounded < tick_size ? tick_size : rounded;
}

money instrument::upper_band() const {
  money raw = reference_price + reference_price * band_percent / 100;
  return raw / tick_size * tick_size; // down: stay inside
}

} // namespace broker
