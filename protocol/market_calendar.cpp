#include "protocol/market_calendar.hpp"

#include <cstdio>
#include <ctime>

namespace broker {

namespace {

std::tm local_tm(timestamp t, int offset_minutes) {
  std::time_t secs = static_cast<std::time_t>(t / 1'000'000'000 + offset_minutes * 60);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

} // namespace

std::string market_calendar::local_date(timestamp t) const {
  auto tm = local_tm(t, rules_.utc_offset_minutes);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

bool market_calendar::is_business_day(timestamp t) const {
  auto tm = local_tm(t, rules_.utc_offset_minutes);
  if (tm.tm_wday == 0 || tm.tm_wday == 6)
    return false;
  return rules_.holidays.count(local_date(t)) == 0;
}

timestamp market_calendar::session_start(timestamp t) const {
  constexpr int64_t ns_per_minute = 60'000'000'000;
  constexpr int64_t ns_per_day = 1440 * ns_per_minute;
  int64_t offset = rules_.utc_offset_minutes * ns_per_minute;
  int64_t local = t + offset;
  int64_t day = local >= 0 ? local / ns_per_day : (local - ns_per_day + 1) / ns_per_day;
  int64_t open = rules_.always_open ? 0 : rules_.open_minute * ns_per_minute;
  return day * ns_per_day + open - offset;
}

int64_t market_calendar::local_day(timestamp t) const {
  constexpr int64_t ns_per_day = 86'400'000'000'000;
  int64_t local = t + int64_t{rules_.utc_offset_minutes} * 60'000'000'000;
  return local >= 0 ? local / ns_per_day : (local - ns_per_day + 1) / ns_per_day;
}

timestamp market_calendar::day_start(int64_t day) const {
  return day * 86'400'000'000'000 - int64_t{rules_.utc_offset_minutes} * 60'000'000'000;
}

std::string market_calendar::date_of_day(int64_t day) const {
  return local_date(day_start(day));
}

bool market_calendar::is_business_day_number(int64_t day) const {
  int64_t weekday = ((day + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  if (weekday == 0 || weekday == 6)
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
  auto tm = local_tm(t, rules_.utc_offset_minutes);
  int minute = tm.tm_hour * 60 + tm.tm_min;
  return minute >= rules_.open_minute && minute < rules_.close_minute;
}

} // namespace broker
