#pragma once
// Price alerts: "tell me when RELIANCE trades at or above 2500". The user's
// account owns them; the symbol actor holds the active ones in its trigger
// book and reports when a trade crosses one. An alert fires once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace broker {

enum class alert_condition : uint8_t { above, below };
enum class alert_status : uint8_t { active, triggered, cancelled };

struct price_alert {
  int64_t id = 0; // per user, from 1
  user_id user = 0;
  std::string symbol;
  alert_condition condition = alert_condition::above;
  money price = 0;
  alert_status status = alert_status::active;
  money triggered_price = 0; // the trade that fired it
  timestamp created_at = 0;
  timestamp updated_at = 0;
};

// A trade at `ltp` fires the alert: ABOVE at or above its price, BELOW at or below.
inline bool crosses(alert_condition c, money price, money ltp) {
  return c == alert_condition::above ? ltp >= price : ltp <= price;
}

std::string_view to_string(alert_condition c);
std::string_view to_string(alert_status s);
std::optional<alert_condition> parse_alert_condition(std::string_view s);
std::optional<alert_status> parse_alert_status(std::string_view s);

// Active alerts one user may hold at once.
constexpr size_t max_active_alerts = 100;

} // namespace broker
