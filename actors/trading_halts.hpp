#pragma once
// Symbols an operator has halted: while one is halted, new orders in it are
// refused (symbol_halted) before anything is held or sent; cancels still go
// through, so nobody is locked into an order. Shared by the node (which
// halts and resumes) and every account (which asks on each order); one
// mutex, taken for a map lookup.
//
// The operator desk stores a halt before it is put here, and the node puts
// the stored ones back at start.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

struct trading_halt {
  std::string symbol;
  std::string reason; // shown to a refused client
  timestamp since = 0;
  std::string operator_name; // who halted it
};

class trading_halts {
public:
  void halt(trading_halt h);
  bool resume(const std::string& symbol); // false: it was not halted
  std::optional<trading_halt> of(const std::string& symbol) const;
  std::vector<trading_halt> all() const; // by symbol

private:
  mutable std::mutex mutex_;
  std::map<std::string, trading_halt> halted_;
};

} // namespace broker
