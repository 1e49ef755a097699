#include "protocol/instruments.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "protocol/decimal.hpp"

namespace broker {

instrument_table::instrument_table(std::vector<instrument> list) : list_(std::move(list)) {
  for (size_t i = 0; i < list_.size(); ++i)
    index_.emplace(list_[i].symbol, i);
}

const instrument* instrument_table::find(const std::string& symbol) const {
  auto it = index_.find(symbol);
  return it == index_.end() ? nullptr : &list_[it->second];
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A word starts after anything that is not a letter or digit ("Bajaj-Auto", "M&M").
bool a_word_starts_with(std::string_view name, std::string_view prefix) {
  for (size_t i = 0; i < name.size(); ++i) {
    bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(name[i - 1]));
    if (word_start && starts_with(name.substr(i), prefix))
      return true;
  }
  return false;
}

} // namespace

std::vector<const instrument*> instrument_table::search(std::string_view query, size_t limit) const {
  auto q = lower(query);
  std::vector<std::pair<int, const instrument*>> hits;
  if (!q.empty())
    for (auto& [_, i] : index_) { // index_ is in symbol order
      auto symbol = lower(list_[i].symbol);
      int rank = symbol == q ? 0 : starts_with(symbol, q) ? 1 : a_word_starts_with(lower(list_[i].name), q) ? 2 : -1;
      if (rank >= 0)
        hits.emplace_back(rank, &list_[i]);
    }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const instrument*> out;
  for (size_t k = 0; k < hits.size() && k < limit; ++k)
    out.push_back(hits[k].second);
  return out;
}

std::shared_ptr<const instrument_table> load_instruments(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error("cannot open instrument master " + path);
  std::vector<instrument> list;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#' || line.rfind("symbol,", 0) == 0)
      continue;
    std::vector<std::string> cols;
    std::stringstream ss{line};
    std::string col;
    while (std::getline(ss, col, ','))
      cols.push_back(col);
    auto fail = [&](const std::string& why) {
      return std::runtime_error(path + ":" + std::to_string(line_no) + ": " + why);
    };
    if (cols.size() != 6)
      throw fail("expected 6 columns");
    instrument x;
    x.symbol = cols[0];
    x.name = cols[1];
    auto tick = parse_decimal(cols[2], money_scale);
    auto lot = parse_decimal(cols[3], 0);
    auto ref = parse_decimal(cols[4], money_scale);
    auto band = parse_decimal(cols[5], 0);
    if (!tick || *tick <= 0 || !lot || *lot <= 0 || !ref || *ref <= 0 || !band || *band <= 0
        || *band >= 100)
      throw fail("bad number");
    x.tick_size = *tick;
    x.lot_size = *lot;
    x.reference_price = *ref;
    x.band_percent = static_cast<int>(*band);
    if (x.reference_price % x.tick_size != 0)
      throw fail("reference price is not on the tick");
    list.push_back(std::move(x));
  }
  if (list.empty())
    throw std::runtime_error("instrument master " + path + " is empty");
  return std::make_shared<const instrument_table>(std::move(list));
}

} // namespace broker
