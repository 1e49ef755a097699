#include "protocol/tax_report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "protocol/civil_time.hpp"
#include "protocol/decimal.hpp"

namespace broker {

namespace {

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
  r.from_date = day_text(first);
  r.to_date = day_text(next - 1);
  for (auto& lot : realized) {
    int64_t sold = local_day(lot.sold_at, rules.utc_offset_minutes);
    if (sold < first || sold >= next)
      continue;
    tax_line line;
    line.lot = lot;
    int64_t bought = local_day(lot.acquired_at, rules.utc_offset_minutes);
    line.holding_days = sold - bought;
    line.buy_date = day_text(bought);
    line.sell_date = day_text(sold);
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
