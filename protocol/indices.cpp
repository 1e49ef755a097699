#include "protocol/indices.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "protocol/decimal.hpp"

namespace broker {

std::vector<index_definition> load_indices(const std::string& path, const instrument_table& instruments) {
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error("cannot open index list " + path);
  std::vector<index_definition> out;
  std::string line;
  int number = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#')
      continue;
    if (!header_seen) { // the first non-comment line names the columns
      header_seen = true;
      continue;
    }
    auto bad = [&](const std::string& why) {
      return std::runtime_error(path + ":" + std::to_string(number) + ": " + why);
    };
    std::stringstream row{line};
    std::string name, base, list;
    if (!std::getline(row, name, ',') || !std::getline(row, base, ',') || !std::getline(row, list))
      throw bad("expected index,base_value,constituents");
    index_definition def;
    def.name = name;
    auto b = parse_decimal(base, money_scale);
    if (!b || *b <= 0)
      throw bad("base_value must be a positive decimal");
    def.base = *b;
    std::stringstream items{list};
    std::string item;
    while (std::getline(items, item, ';')) {
      auto colon = item.find(':');
      if (colon == std::string::npos)
        throw bad("constituent '" + item + "' is not symbol:weight");
      auto symbol = item.substr(0, colon);
      if (!instruments.find(symbol))
        throw bad("unknown symbol " + symbol);
      int64_t weight = 0;
      try {
        weight = std::stoll(item.substr(colon + 1));
      } catch (const std::exception&) {
        throw bad("weight of " + symbol + " is not a whole number");
      }
      if (weight <= 0)
        throw bad("weight of " + symbol + " must be positive");
      def.constituents.emplace_back(symbol, weight);
    }
    if (def.constituents.empty())
      throw bad("an index needs constituents");
    out.push_back(std::move(def));
  }
  return out;
}

index_value compute_index(const index_definition& def, const std::map<std::string, quote>& quotes) {
  // 128-bit sums: weights times prices times the base stay far from overflow.
  __int128 now = 0, before = 0;
  index_value v;
  v.name = def.name;
  v.prev_close = def.base;
  for (auto& [symbol, weight] : def.constituents) {
    auto it = quotes.find(symbol);
    if (it == quotes.end())
      continue; // no quote yet: it counts as unchanged, i.e. not at all
    now += static_cast<__int128>(weight) * it->second.ltp;
    before += static_cast<__int128>(weight) * it->second.prev_close;
    v.time = std::max(v.time, it->second.time);
  }
  if (before <= 0) {
    v.level = def.base;
    return v;
  }
  __int128 scaled = static_cast<__int128>(def.base) * now;
  v.level = static_cast<money>((2 * scaled + before) / (2 * before)); // rounded half up
  return v;
}

} // namespace broker
