#pragma once
// What every account actor needs to reach: the node's shared, read-only
// context. Built once by the node and shared by pointer.
#include <atomic>
#include <memory>

#include <caf/actor.hpp>

#include "actors/account_book.hpp"
#include "actors/census.hpp"
#include "actors/exchange_connector.hpp"
#include "actors/order_ids.hpp"
#include "actors/symbol.hpp"
#include "actors/trading_halts.hpp"
#include "protocol/clock.hpp"
#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"

namespace broker {

struct account_env {
  caf::actor persistence;
  caf::actor store_reader; // the directory reloads a crashed account's books through it
  caf::actor connector;
  // The exchange link (the connector keeps it): while it is not up a new
  // order is refused with exchange_unavailable, never queued unseen.
  // Null: always up (tests that build an account alone).
  std::shared_ptr<const exchange_link_status> exchange_status;
  caf::actor kyc_provider;
  caf::actor payment_gateway;
  std::shared_ptr<const instrument_table> instruments;
  std::shared_ptr<const market_calendar> calendar;
  const utc_clock* clock = nullptr;
  id_sources ids; // node-wide order, journal entry and notification ids
  std::shared_ptr<const symbol_actors> symbols;
  std::shared_ptr<const trading_halts> halts; // null: nothing is ever halted
  std::shared_ptr<const book_rules> rules; // fees, settlement, cost basis (null: defaults)
  // Stamp each batch with the time it is handed to persistence: only when a
  // persistence_probe is there to read it (measurements, not production).
  bool stamp_handover = false;
  std::shared_ptr<actor_census> census; // null: accounts are not enrolled
};

} // namespace broker
