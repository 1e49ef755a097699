#pragma once
// The instrument master: what can be traded, its tick and lot size and price
// band. Loaded once at start from config/instruments.csv and shared read-only.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

class instrument_table {
public:
  explicit instrument_table(std::vector<instrument> list);
  const instrument* find(const std::string& symbol) const; // null if unknown
  const std::vector<instrument>& all() const { return list_; }
  // Instruments whose symbol starts with `query`, or with a word of its name
  // that does (case-insensitive): an exact symbol first, then symbol prefixes,
  // then name matches, each in symbol order; at most `limit`.
  std::vector<const instrument*> search(std::string_view query, size_t limit) const;

private:
  std::vector<instrument> list_;
  std::map<std::string, size_t> index_;
};

// CSV: symbol,name,tick_size,lot_size,reference_price,band_percent (prices as
// decimals in rupees). Throws std::runtime_error naming the line on bad input.
std::shared_ptr<const instrument_table> load_instruments(const std::string& path);

} // namespace broker
