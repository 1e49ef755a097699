#pragma once
// Market indices computed from their constituents' quotes (config/indices.csv).
// Level = base * sum(w * ltp) / sum(w * prev_close): the base is the level at
// the previous close, and a constituent moves the index by its weight.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/instruments.hpp"
#include "protocol/market_data.hpp"

namespace broker {

struct index_definition {
  std::string name;
  money base = 0; // hundredths of a point, like money
  std::vector<std::pair<std::string, int64_t>> constituents; // symbol, weight
};

struct index_value {
  std::string name;
  money level = 0;
  money prev_close = 0; // the base
  timestamp time = 0;   // the latest constituent quote's time
};

// Throws std::runtime_error naming the line for a bad line or a symbol that is
// not in `instruments`.
std::vector<index_definition> load_indices(const std::string& path, const instrument_table& instruments);

// The index level from the latest quotes; a constituent with no quote counts
// at its previous close.
index_value compute_index(const index_definition& def, const std::map<std::string, quote>& quotes);

} // namespace broker
