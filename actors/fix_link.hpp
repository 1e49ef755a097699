#pragma once
// The exchange link over FIX 4.4: a QuickFIX initiator behind the same actor
// protocol as the in-process simulated exchange (actors/exchange_connector.hpp),
// so the connector cannot tell them apart.
//
// One link actor is one FIX session connection. It answers the connector's
// reconcile once the session has logged on, asking the exchange the status
// of every order the broker holds as working (OrderStatusRequest); it quits
// when the session logs out or the connection drops, or when no logon comes
// within `logon_timeout`, and the connector then opens a new one after its
// back-off. Sequence numbers and sent messages are QuickFIX's, persisted in
// `store_dir`, so a new link resumes the session: resend requests and gap
// fills are the session layer's.
//
// Answers to status requests become execution reports the accounts apply:
//   unknown to the exchange, never acknowledged   -> rejected ("not received")
//   unknown to the exchange, acknowledged before  -> cancelled ("lost")
//   cancelled, expired or rejected there          -> that, under an ExecID
//                                                    that dedupes a repeat
// The fills the exchange replays before its answer carry their own ExecIDs,
// so each is applied once whether or not it was seen before.
//
// Market data comes on a second session of the same connection, to the
// exchange's market data comp id (protocol/fix_market_data.hpp): once it has
// logged on, the link subscribes to `symbols` and sends the connector each
// refresh as a batch of ticks, and (market_data_atom, true) with the first of
// them; (market_data_atom, false) when that session ends. QuickFIX logs it
// on again by itself; the link then subscribes again. The order session is
// what the link lives and dies by.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "protocol/clock.hpp"

namespace broker {

struct fix_link_options {
  std::shared_ptr<actor_census> census; // null: not enrolled
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string sender_comp_id = "BROKER";
  std::string target_comp_id = "SIMEX";
  std::string begin_string = "FIX.4.4"; // or FIX.4.2
  std::string market_data_comp_id = "SIMEX-MD"; // empty: no market data session
  std::vector<std::string> symbols;             // what to subscribe to
  std::string store_dir; // QuickFIX's file store (and its logs, under log/)
  int heartbeat_seconds = 5;
  std::chrono::milliseconds logon_timeout{3000};
  const utc_clock* clock = nullptr;
};

caf::actor spawn_fix_link(caf::actor_system& sys, fix_link_options opts);

} // namespace broker
