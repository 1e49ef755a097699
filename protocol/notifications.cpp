#include "protocol/notifications.hpp"

#include <array>

namespace broker {

namespace {

constexpr std::array<std::string_view, 9> kind_names{
  "ORDER_PLACED",    "ORDER_FILLED", "ORDER_PARTIALLY_FILLED", "ORDER_CANCELLED", "ORDER_REJECTED",
  "ORDER_EXPIRED",   "DEPOSIT",      "WITHDRAWAL",             "ALERT_TRIGGERED"};

} // namespace

std::string_view to_string(notification_kind k) { return kind_names[static_cast<size_t>(k)]; }

std::optional<notification_kind> parse_notification_kind(std::string_view s) {
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == s)
      return static_cast<notification_kind>(i);
  return std::nullopt;
}

} // namespace broker
