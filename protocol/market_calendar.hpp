#pragma once
// When the market takes orders: trading hours in the exchange's local time,
// weekdays, holidays. Asked with a time from the injected clock, never the wall.
#include <set>
#include <string>

#include "protocol/types.hpp"

namespace broker {

struct calendar_rules {
  bool always_open = true;        // the shipped default: trade at any hour
  int utc_offset_minutes = 330;   // IST
  int open_minute = 9 * 60 + 15;  // 09:15 local
  int close_minute = 15 * 60 + 30; // 15:30 local
  std::set<std::string> holidays; // YYYY-MM-DD, local dates
};

class market_calendar {
public:
  explicit market_calendar(calendar_rules rules) : rules_(std::move(rules)) {}
  bool is_open(timestamp t) const;
  // Local calendar date of `t` as YYYY-MM-DD.
  std::string local_date(timestamp t) const;
  bool is_business_day(timestamp t) const;
  // When the trading day holding `t` opened: the local day's open_minute, or
  // local midnight when the market is always open.
  timestamp session_start(timestamp t) const;

  // Settlement works in local days: day numbers count days since 1970-01-01
  // in the exchange's local time.
  int64_t local_day(timestamp t) const;
  timestamp day_start(int64_t day) const; // local midnight, as UTC ns
  std::string date_of_day(int64_t day) const;
  bool is_business_day_number(int64_t day) const;
  // T+n: the n-th business day after the local day of `trade_time` (a trade
  // on a weekend or holiday counts from that day all the same).
  int64_t settlement_day(timestamp trade_time, int n) const;
  const calendar_rules& rules() const { return rules_; }

private:
  calendar_rules rules_;
};

} // namespace broker
