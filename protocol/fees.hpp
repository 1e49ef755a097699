#pragma once
// What a trade costs beyond its price: the broker's brokerage and the
// statutory charges (India, equity delivery). Rates are integers in parts per
// 10^8 ("0.03%" = 30000), so no charge ever passes through a double.
//
// Charges are computed on an order's cumulative traded value, and each fill
// pays the difference from what the order has already paid. So the brokerage
// cap holds per order, and splitting an order into more fills never changes
// its total. Every component is rounded down to the paisa: a monotone function
// of the value, so no fill ever pays a negative charge, and the total never
// exceeds value x effective_rate().
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/types.hpp"

namespace broker {

constexpr int64_t rate_denominator = 100'000'000; // rates are parts per 10^8

struct fee_schedule {
  int64_t brokerage_rate = 0;  // of the order's traded value
  money brokerage_max = 0;     // per order; 0 = no cap
  int64_t stt_rate = 0;        // securities transaction tax, buy and sell
  int64_t exchange_rate = 0;   // exchange transaction charges
  int64_t sebi_rate = 0;       // SEBI turnover fee
  int64_t stamp_rate = 0;      // stamp duty, buy side only
  int64_t gst_rate = 0;        // on brokerage + exchange + SEBI charges

  // The most a rupee of value can cost, in parts per 10^8. A schedule above
  // 100% could make a sale's charges exceed its proceeds: refused at load.
  int64_t effective_rate() const;
  bool is_free() const;
};

struct fee_breakdown {
  money brokerage = 0;
  money stt = 0;
  money exchange = 0;
  money sebi = 0;
  money stamp = 0;
  money gst = 0;
  // Everything but brokerage: what the broker collects for others.
  money statutory() const { return stt + exchange + sebi + stamp + gst; }
  money total() const { return brokerage + statutory(); }
  fee_breakdown minus(const fee_breakdown& earlier) const;
  bool operator==(const fee_breakdown& o) const;
};

// The charges on an order of `s` side that has traded `value` in total.
fee_breakdown charges_for(const fee_schedule& f, side s, money value);

// Parses a percentage written as an exact decimal ("0.03", "18") into parts
// per 10^8; nullopt if malformed, negative, or with more than 6 decimals.
std::optional<int64_t> parse_percent_rate(const std::string& text);

} // namespace broker
