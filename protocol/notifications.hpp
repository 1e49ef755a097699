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
  int64_t id = 0; // node-wide and increasing (appended to the store), never reused
  user_id user = 0;
  timestamp at = 0;
  notification_kind kind = notification_kind::order_placed;
  std::string reference; // "order:12", "transfer:3", "alert:2"
  std::string message;   // for people: "Bought 10 RELIANCE at 2450.00"
  bool read = false;
};

// Marks one notification read.
struct notification_read {
  user_id user = 0;
  int64_t id = 0;
};

// One page of a user's notifications, newest first.
struct notification_page {
  std::vector<notification> entries;
  int64_t total = 0;  // matching, all pages
  int64_t unread = 0; // of the user's, all pages
};

} // namespace broker
