#pragma once
// sim-exchange's FIX 4.4 side: a QuickFIX acceptor for the broker's session,
// in front of the simulated exchange actor (sim/exchange.hpp), with the
// exchange's ledger (sim/exchange_ledger.hpp) behind it.
//
// The desk is the exchange actor's connector: orders and cancels that arrive
// over FIX go to it, and each execution report it makes is recorded in the
// ledger and then sent on the session. QuickFIX keeps the session's sequence
// numbers and every message it sent in its file store under the data dir, so
// a reconnecting broker gets what it missed by resend and gap fill. A
// status request is answered from the ledger: its fills again (PossResend),
// then the order's state (ExecType=I); an order never received is answered
// rejected, unknown order.
//
// Market data goes on a second session, the market data comp id's
// (sim/market_data_desk.hpp): the desk passes the exchange's ticks on to it.
//
// On start, the orders the ledger holds as working go back into the books
// with what was left of them, so a restart loses no resting order.
//
// Faults can be injected while it runs (fault(), from sim-exchange's admin
// port): rejects, delays, duplicated and reordered reports, a dropped
// session, silence, a crash.
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "protocol/clock.hpp"
#include "protocol/instruments.hpp"

namespace broker::sim {

struct fix_desk_options {
  uint16_t port = 0; // on every interface: QuickFIX 1.15's acceptor binds no address
  std::string sender_comp_id = "SIMEX";
  std::string target_comp_id = "BROKER";
  std::string market_data_comp_id = "SIMEX-MD"; // empty: no market data session
  std::shared_ptr<const instrument_table> instruments; // what market data is served for
  std::string data_dir; // exchange.db (the ledger), fix-store/, fix-log/
  const utc_clock* clock = nullptr;
};

class fix_desk {
public:
  // Opens the ledger, spawns the desk actor (which attaches to `exchange` and
  // restores the working orders) and starts accepting. Throws
  // std::runtime_error if the ledger or the listening socket can't be opened.
  fix_desk(caf::actor_system& sys, caf::actor exchange, fix_desk_options opts);
  ~fix_desk(); // stops accepting and the desk actor
  fix_desk(const fix_desk&) = delete;
  fix_desk& operator=(const fix_desk&) = delete;

  caf::actor actor() const;

  // A fault to inject, from the admin port; answers "ok ..." or "error ...".
  //   reject N        the next N new orders are rejected on arrival
  //   delay MS        every report waits MS before it is sent (0: off)
  //   duplicate N     the next N reports are sent twice (same ExecID)
  //   reorder N       each of the next N reports is held and sent after the one that follows it
  //   silent on|off   stop answering: requests are read, and neither recorded nor answered
  //   drop            disconnect the session now
  //   crash           exit at once, nothing flushed (as kill -9)
  //   clear           every fault off;  status  what is on, what was injected so far, and
  //                   how many reports are waiting (delayed or held)
  std::string fault(const std::string& command);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace broker::sim
