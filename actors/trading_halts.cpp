#include "actors/trading_halts.hpp"

namespace broker {

void trading_halts::halt(trading_halt h) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto symbol = h.symbol;
  halted_[symbol] = std::move(h);
}

bool trading_halts::resume(const std::string& symbol) {
  std::lock_guard<std::mutex> guard{mutex_};
  return halted_.erase(symbol) > 0;
}

std::optional<trading_halt> trading_halts::of(const std::string& symbol) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = halted_.find(symbol);
  if (it == halted_.end())
    return std::nullopt;
  return it->second;
}

std::vector<trading_halt> trading_halts::all() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<trading_halt> out;
  for (auto& [_, h] : halted_)
    out.push_back(h);
  return out;
}

} // namespace broker
