#pragma once
// Exact decimal <-> integer minor units. Money and prices never pass through a
// double: "2450.75" with scale 2 is 245075 paise, and back.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace broker {

// Parses an optional '-' sign, digits, an optional '.' and up to `scale`
// fractional digits (more are accepted only when they are zeros). No exponent,
// no '+', no leading/trailing spaces. Returns nullopt on anything else or on
// overflow of int64.
std::optional<int64_t> parse_decimal(std::string_view text, int scale);

// Writes `minor` as a decimal with exactly `scale` fractional digits
// (245075, 2 -> "2450.75"; -5, 2 -> "-0.05").
std::string format_decimal(int64_t minor, int scale);

} // namespace broker
