#include "protocol/decimal.hpp"

#include <limits>

namespace broker {

std::optional<int64_t> parse_decimal(std::string_view text, int scale) {
  if (text.empty() || scale < 0 || scale > 9)
    return std::nullopt;
  bool negative = false;
  size_t i = 0;
  if (text[0] == '-') {
    negative = true;
    ++i;
  }
  constexpr uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t value = 0;
  size_t int_digits = 0;
  auto push_digit = [&](char c) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    return value <= limit;
  };
  for (; i < text.size() && text[i] != '.'; ++i) {
    char c = text[i];
    if (c < '0' || c > '9')
      return std::nullopt;
    if (value > limit / 10 || !push_digit(c))
      return std::nullopt;
    ++int_digits;
  }
  if (int_digits == 0)
    return std::nullopt;
  int frac_digits = 0;
  if (i < text.size()) { // at '.'
    ++i;
    if (i == text.size())
      return std::nullopt; // "12." is not a number
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c < '0' || c > '9')
        return std::nullopt;
      if (frac_digits < scale) {
        if (value > limit / 10 || !push_digit(c))
          return std::nullopt;
        ++frac_digits;
      } else if (c != '0') {
        return std::nullopt; // finer than the unit: refuse rather than round
      }
    }
  }
  for (; frac_digits < scale; ++frac_digits) {
    if (value > limit / 10)
      return std::nullopt;
    value *= 10;
    if (value > limit)
      return std::nullopt;
  }
  auto signed_value = static_cast<int64_t>(value);
  return negative ? -signed_value : signed_value;
}

std::string format_decimal(int64_t minor, int scale) {
  bool negative = minor < 0;
  // Work in unsigned so INT64_MIN does not overflow on negation.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(minor)
                                : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale))
      digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), 1, '.');
  }
  return negative ? "-" + digits : digits;
}

} // namespace broker
