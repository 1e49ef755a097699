#pragma once
// sim-exchange's own durable record: every order it accepted and every
// execution it reported, in one SQLite file (WAL, synchronous=NORMAL: a
// commit survives the process dying at any point; the simulator makes no
// promise about power loss). An execution is recorded, with its order's new
// totals, before its report is sent, so after a restart the exchange knows
// every fill it ever told anyone about, answers status requests truthfully,
// and puts its working orders back in the books.
//
// Invariant, per order: cum_quantity = the sum of its trade executions'
// quantities, cum_value = their quantity x price, cum_quantity <= quantity;
// a final status has no leaves.
#include <memory>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace broker::sim {

struct ledger_order {
  order request;           // as received: id (ClOrdID), user (Account), symbol, side, type, prices
  int64_t cum_quantity = 0;
  money cum_value = 0;
  order_status status = order_status::open;
  std::string exchange_order_id;
};

class exchange_ledger {
public:
  // Opens or creates the file; throws std::runtime_error when it can't.
  explicit exchange_ledger(const std::string& path);
  ~exchange_ledger();
  exchange_ledger(const exchange_ledger&) = delete;
  exchange_ledger& operator=(const exchange_ledger&) = delete;

  // One transaction: the order as it now stands, and the execution that made
  // it so (none for an order just received). Throws on a write that fails.
  void record(const ledger_order& o, const execution_report* e);
  // nullptr when the exchange never received `id`.
  std::unique_ptr<ledger_order> find(order_id id) const;
  std::vector<ledger_order> working() const;
  // In the order they were reported.
  std::vector<execution_report> executions_of(order_id id) const;
  size_t order_count() const;
  size_t execution_count() const;

private:
  struct db;
  std::unique_ptr<db> db_;
};

} // namespace broker::sim
