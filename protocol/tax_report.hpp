#pragma once
// Capital gains for a tax year, lot by lot: each realized lot is short- or
// long-term by how long it was held, dated in the exchange's local time.
// Integer date arithmetic throughout; no time zone database, no locale.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/lots.hpp"

namespace broker {

enum class gain_term : uint8_t { short_term, long_term };
std::string_view to_string(gain_term t); // "SHORT_TERM" / "LONG_TERM"

struct tax_rules {
  int long_term_after_days = 365;  // held MORE than this many days -> long term
  int year_start_month = 4;        // tax year starts on the 1st of this month (India: April)
  int utc_offset_minutes = 330;    // dates are local dates at this offset (IST)
};

struct tax_line {
  realized_lot lot;
  gain_term term = gain_term::short_term;
  int64_t holding_days = 0; // local sell date - local buy date, in calendar days
  std::string buy_date, sell_date; // YYYY-MM-DD, local
};

struct tax_report {
  int year = 0;                    // tax year 2026 = 2026-04-01 .. 2027-03-31 with start month 4
  std::string from_date, to_date;  // YYYY-MM-DD, inclusive, local
  std::vector<tax_line> lines;     // sales in the year, by sold_at then input order
  money short_term_gain = 0, long_term_gain = 0; // sums of gain(), may be negative
  money proceeds = 0, cost = 0;
};

tax_report build_tax_report(const std::vector<realized_lot>& realized, int year, const tax_rules& rules);
// RFC 4180 CSV, header
// symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain
// then a line per tax_line; lines end with CRLF.
std::string to_csv(const tax_report& r);

} // namespace broker
