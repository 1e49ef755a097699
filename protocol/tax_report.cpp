#include "protocol/tax_report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "protocol/decimal.hpp"

namespace broker {

namespace {

constexpr int64_t ns_per_day = 86'400'000'000'000;

struct civil_date {
  int64_t year;
  int month; // 1..12
  int day;   // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

civil_date civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

int64_t local_day(timestamp t, int offset_minutes) {
  int64_t local = t + int64_t{offset_minutes} * 60'000'000'000;
  return local >= 0 ? local / ns_per_day : (local - ns_per_day + 1) / ns_per_day;
}

std::string date_text(int64_t day) {
  auto c = civil_from_days(day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month, c.day);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

} // namespace

std::string_view to_string(gain_term t) {
  return t == gain_term::short_term ? "SHORT_TERM" : "LONG_TERM";
}

tax_report build_tax_report(const std::vector<realized_lot>& realized, int year, const tax_rules& rules) {
  tax_report r;
  r.year = year;
  if (rules.year_start_month < 1 || rules.year_start_month > 12) { // brokerd refuses such a config
    std::fprintf(stderr, "tax report: year_start_month %d is not a month\n", rules.year_start_month);
    std::abort();
  }
  int64_t first = days_from_civil(year, rules.year_start_month, 1);
  int64_t next = days_from_civil(year + 1, rules.year_start_month, 1);
  r.from_date = date_text(first);
  r.to_date = date_text(next - 1);
  for (auto& lot : realized) {
    int64_t sold = local_day(lot.sold_at, rules.utc_offset_minutes);
    if (sold < first || sold >= next)
      continue;
    tax_line line;
    line.lot = lot;
    int64_t bought = local_day(lot.acquired_at, rules.utc_offset_minutes);
    line.holding_days = sold - bought;
    line.buy_date = date_text(bought);
    line.sell_date = date_text(sold);
    line.term = line.holding_days > rules.long_term_after_days ? gain_term::long_term
                                                                : gain_term::short_term;
    (line.term == gain_term::long_term ? r.long_term_gain : r.short_term_gain) += lot.gain();
    r.proceeds += lot.proceeds;
    r.cost += lot.cost;
    r.lines.push_back(std::move(line));
  }
  std::stable_sort(r.lines.begin(), r.lines.end(), [](const tax_line& a, const tax_line& b) {
    return a.lot.sold_at < b.lot.sold_at;
  });
  return r;
}

std::string to_csv(const tax_report& r) {
  std::string out = "symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain\r\n";
  for (auto& line : r.lines) {
    auto& l = line.lot;
    out += csv_field(l.symbol) + "," + std::to_string(l.quantity) + ",";
    out += line.buy_date + "," + line.sell_date + ",";
    out += std::to_string(line.holding_days) + "," + std::string{to_string(line.term)} + ",";
    out += format_decimal(l.cost, money_scale) + "," + format_decimal(l.proceeds, money_scale) + ","
           + format_decimal(l.gain(), money_scale) + "\r\n";
  }
  return out;
}

} // namespace broker
