#include "protocol/clock.hpp"

#include <chrono>

#include "protocol/civil_time.hpp"

namespace broker {

namespace {

bool digits(std::string_view s, size_t at, size_t n, int64_t& out) {
  if (at + n > s.size())
    return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

} // namespace

std::optional<timestamp> parse_iso_time(std::string_view s) {
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac_ns = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-'
      || !digits(s, 8, 2, d))
    return std::nullopt;
  // int64 nanoseconds reach 2262; the broker has no use for dates outside this.
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31)
    return std::nullopt;
  static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > days_in[mo - 1] || (mo == 2 && d == 29 && !leap))
    return std::nullopt;
  size_t i = 10;
  if (s.size() > 10) {
    if (s[10] != 'T' || !digits(s, 11, 2, h) || s.size() < 17 || s[13] != ':'
        || !digits(s, 14, 2, mi))
      return std::nullopt;
    i = 16;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, 17, 2, sec))
        return std::nullopt;
      i = 19;
      if (i < s.size() && s[i] == '.') {
        size_t n = 0;
        ++i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 9; ++i, ++n)
          frac_ns = frac_ns * 10 + (s[i] - '0');
        if (n == 0)
          return std::nullopt;
        for (; n < 9; ++n)
          frac_ns *= 10;
      }
    }
    if (i + 1 != s.size() || s[i] != 'Z' || h > 23 || mi > 59 || sec > 59)
      return std::nullopt;
  }
  int64_t seconds = days_from_civil(y, static_cast<int>(mo), static_cast<int>(d)) * 86'400 + h * 3'600 + mi * 60 + sec;
  return seconds * 1'000'000'000 + frac_ns;
}

timestamp system_utc_clock::now() const {
  // The one place the broker reads the wall clock.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace broker
