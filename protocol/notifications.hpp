#pragma once
// Notifications: what happened to a user's orders, money and alerts, stored
// and pushed on the "notifications" channel. One is written in the same batch
// as the event it tells of, by the account that applied the event, so a
// replayed fill report (deduplicated by exec_id) never makes a second one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

enum class notification_kind : uint8_t {
  order_placed,
  order_filled,
  order_partially_filled,
  order_cancelled,
  order_rejected,
  order_expired,
  deposit,
  withdrawal,
  alert_triggered,
};
std::string_view to_string(notification_kind k); // "ORDER_FILLED", ...
std::optional<notification_kind> parse_notification_kind(std::string_view s);

struct notification {
  user_id user = 0;
  int64_t id = 0; // per user, from 1, never reused
  timestamp at = 0;
  notification_kind kind = notification_kind::order_placed;
  std::string reference; // "order:12", "transfer:3", "alert:2"
  std::string message;   // for people: "Bought 10 RELIANCE at 2450.00"
  bool read = false;
};

// Marks notifications read: one id, or (id 0) every one the user has.
struct notification_read {
  user_id user = 0;
  int64_t id = 0;
};

} // namespace broker
