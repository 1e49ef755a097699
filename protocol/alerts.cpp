#include "protocol/alerts.hpp"

namespace broker {

std::string_view to_string(alert_condition c) {
  return c == alert_condition::above ? "ABOVE" : "BELOW";
}

std::string_view to_string(alert_status s) {
  switch (s) {
    case alert_status::active: return "ACTIVE";
    case alert_status::triggered: return "TRIGGERED";
    case alert_status::cancelled: return "CANCELLED";
  }
  return "ACTIVE";
}

std::optional<alert_condition> parse_alert_condition(std::string_view s) {
  if (s == "ABOVE")
    return alert_condition::above;
  if (s == "BELOW")
    return alert_condition::below;
  return std::nullopt;
}

std::optional<alert_status> parse_alert_status(std::string_view s) {
  if (s == "ACTIVE")
    return alert_status::active;
  if (s == "TRIGGERED")
    return alert_status::triggered;
  if (s == "CANCELLED")
    return alert_status::cancelled;
  return std::nullopt;
}

} // namespace broker
