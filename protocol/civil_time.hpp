#pragma once
// Calendar arithmetic on day numbers: days since 1970-01-01 (proleptic
// Gregorian), the unit of settlement, tax years and daily history. One
// implementation for the clock's ISO parser, the market calendar and the
// tax report.
#include <cstdint>
#include <string>

#include "protocol/types.hpp"

namespace broker {

constexpr int64_t ns_per_minute = 60'000'000'000;
constexpr int64_t ns_per_day = 1440 * ns_per_minute;

struct civil_date {
  int64_t year;
  int month; // 1..12
  int day;   // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t year, int month, int day);
civil_date civil_from_days(int64_t day);

// The day number holding `t` in a zone `offset_minutes` east of UTC (floor
// division, so times before the epoch fall on the right day too).
int64_t local_day(timestamp t, int offset_minutes);

// "YYYY-MM-DD" of a day number.
std::string day_text(int64_t day);

} // namespace broker
