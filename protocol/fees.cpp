#include "protocol/fees.hpp"

#include "protocol/decimal.hpp"

namespace broker {

namespace {

money part_of(money value, int64_t rate) {
  // value can reach 10^15 paise and rate 10^8: the product needs 128 bits.
  return static_cast<money>(static_cast<__int128>(value) * rate / rate_denominator);
}

} // namespace

int64_t fee_schedule::effective_rate() const {
  int64_t taxed = brokerage_rate + exchange_rate + sebi_rate;
  return taxed + stt_rate + stamp_rate + part_of(taxed, gst_rate) + 1; // +1: GST rounding
}

bool fee_schedule::is_free() const {
  return brokerage_rate == 0 && stt_rate == 0 && exchange_rate == 0 && sebi_rate == 0
         && stamp_rate == 0 && gst_rate == 0;
}

fee_breakdown fee_breakdown::minus(const fee_breakdown& e) const {
  return fee_breakdown{brokerage - e.brokerage, stt - e.stt, exchange - e.exchange,
                       sebi - e.sebi,           stamp - e.stamp, gst - e.gst};
}

bool fee_breakdown::operator==(const fee_breakdown& o) const {
  return brokerage == o.brokerage && stt == o.stt && exchange == o.exchange && sebi == o.sebi
         && stamp == o.stamp && gst == o.gst;
}

fee_breakdown charges_for(const fee_schedule& f, side s, money value) {
  fee_breakdown b;
  if (value <= 0)
    return b;
  b.brokerage = part_of(value, f.brokerage_rate);
  if (f.brokerage_max > 0 && b.brokerage > f.brokerage_max)
    b.brokerage = f.brokerage_max;
  b.stt = part_of(value, f.stt_rate);
  b.exchange = part_of(value, f.exchange_rate);
  b.sebi = part_of(value, f.sebi_rate);
  b.stamp = s == side::buy ? part_of(value, f.stamp_rate) : 0;
  b.gst = part_of(b.brokerage + b.exchange + b.sebi, f.gst_rate);
  return b;
}

std::optional<int64_t> parse_percent_rate(const std::string& text) {
  // A percent with 6 decimals is a fraction with 8: "0.000001" % = 1 / 10^8.
  auto v = parse_decimal(text, 6);
  if (!v || *v < 0 || *v > 100 * 1'000'000)
    return std::nullopt;
  return *v;
}

} // namespace broker
