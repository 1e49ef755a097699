#include "protocol/market_calendar.hpp"

#include "protocol/civil_time.hpp"

namespace broker {

namespace {

int64_t weekday(int64_t day) { return ((day + 4) % 7 + 7) % 7; } // 1970-01-01 was a Thursday; 0 = Sunday

} // namespace

std::string market_calendar::local_date(timestamp t) const { return day_text(local_day(t)); }

bool market_calendar::is_business_day(timestamp t) const { return is_business_day_number(local_day(t)); }

timestamp market_calendar::session_start(timestamp t) const {
  int64_t open = rules_.always_open ? 0 : rules_.open_minute * ns_per_minute;
  return day_start(local_day(t)) + open;
}

int64_t market_calendar::local_day(timestamp t) const {
  return broker::local_day(t, rules_.utc_offset_minutes);
}

timestamp market_calendar::day_start(int64_t day) const {
  return day * ns_per_day - int64_t{rules_.utc_offset_minutes} * ns_per_minute;
}

std::string market_calendar::date_of_day(int64_t day) const { return day_text(day); }

bool market_calendar::is_business_day_number(int64_t day) const {
  if (weekday(day) == 0 || weekday(day) == 6)
    return false;
  return rules_.holidays.count(date_of_day(day)) == 0;
}

int64_t market_calendar::settlement_day(timestamp trade_time, int n) const {
  int64_t day = local_day(trade_time);
  for (int counted = 0; counted < n;)
    if (is_business_day_number(++day))
      ++counted;
  return day;
}

bool market_calendar::is_open(timestamp t) const {
  if (rules_.always_open)
    return true;
  if (!is_business_day(t))
    return false;
  int64_t minute = (t - day_start(local_day(t))) / ns_per_minute;
  return minute >= rules_.open_minute && minute < rules_.close_minute;
}

} // namespace broker
