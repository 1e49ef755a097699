#include <catch2/catch.hpp>

#include <limits>

#include "protocol/decimal.hpp"

using broker::format_decimal;
using broker::parse_decimal;

TEST_CASE("decimals parse exactly into minor units", "[decimal]") {
  CHECK(parse_decimal("2450.75", 2) == 245075);
  CHECK(parse_decimal("2450.7", 2) == 245070);
  CHECK(parse_decimal("2450", 2) == 245000);
  CHECK(parse_decimal("0.05", 2) == 5);
  CHECK(parse_decimal("-0.05", 2) == -5);
  CHECK(parse_decimal("0", 2) == 0);
  CHECK(parse_decimal("007.10", 2) == 710);
  // Trailing zeros beyond the unit are harmless; anything else would need rounding.
  CHECK(parse_decimal("1.2300", 2) == 123);
  CHECK(parse_decimal("1.231", 2) == std::nullopt);
  // The classic binary-float trap: 0.1 + 0.2 style values stay exact.
  CHECK(parse_decimal("0.29", 2) == 29);
  CHECK(parse_decimal("1.15", 2) == 115);
  CHECK(parse_decimal("42", 0) == 42);
  CHECK(parse_decimal("42.5", 0) == std::nullopt);
}

TEST_CASE("decimal parsing refuses what is not a plain decimal", "[decimal]") {
  for (const char* bad : {"", "-", ".", "1.", ".5", "+1", "1e3", "1E3", " 1", "1 ", "1,000",
                          "0x10", "1..2", "--1", "1-", "NaN", "inf", "١٢"})
    CHECK(parse_decimal(bad, 2) == std::nullopt);
}

TEST_CASE("decimal parsing detects overflow instead of wrapping", "[decimal]") {
  CHECK(parse_decimal("92233720368547758.07", 2) == std::numeric_limits<int64_t>::max());
  CHECK(parse_decimal("92233720368547758.08", 2) == std::nullopt);
  CHECK(parse_decimal("92233720368547759", 2) == std::nullopt);
  CHECK(parse_decimal("99999999999999999999999", 0) == std::nullopt);
}

TEST_CASE("decimals format with exactly the scale's digits", "[decimal]") {
  CHECK(format_decimal(245075, 2) == "2450.75");
  CHECK(format_decimal(5, 2) == "0.05");
  CHECK(format_decimal(-5, 2) == "-0.05");
  CHECK(format_decimal(0, 2) == "0.00");
  CHECK(format_decimal(100, 2) == "1.00");
  CHECK(format_decimal(42, 0) == "42");
  CHECK(format_decimal(std::numeric_limits<int64_t>::min(), 2) == "-92233720368547758.08");
}

TEST_CASE("format and parse are inverse over a seeded sample", "[decimal]") {
  uint64_t x = 0x9E3779B97F4A7C15ull; // splitmix64, fixed seed
  for (int i = 0; i < 10000; ++i) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    auto v = static_cast<int64_t>(z >> (z & 31)); // spread over magnitudes
    if (i % 2)
      v = -v;
    REQUIRE(parse_decimal(format_decimal(v, 2), 2) == v);
  }
}
