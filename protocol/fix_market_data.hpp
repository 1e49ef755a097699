#pragma once
// Market data over FIX 4.4, both ways: the broker subscribes, the exchange
// answers with a snapshot per symbol and then streams incremental refreshes.
// It travels on a session of its own (not the order session): a quote is worth
// nothing once it is late, so that session keeps no messages to resend and
// starts its sequence numbers afresh at each logon.
//
//   broker -> exchange
//     MarketDataRequest (35=V)            MDReqID, SubscriptionRequestType 1
//                                         (snapshot + updates), top of book,
//                                         entry types bid, offer, trade; the symbols
//   exchange -> broker
//     MarketDataSnapshotFullRefresh (W)   per symbol: bid, offer, last trade
//     MarketDataIncrementalRefresh (X)    one per batch of the exchange's ticks:
//                                         per tick its bid and offer (change, or
//                                         delete when the side is empty), then
//                                         its trade (new), if it traded
//     MarketDataRequestReject (Y)         a symbol it does not list
//
// Prices are exact decimals in the field's text; entry times are MDEntryDate
// (272) and MDEntryTime (273) to the millisecond.
//
// The entries are repeating groups, which QuickFIX parses only with a data
// dictionary that knows them: market_data_dictionary() is the one both ends
// put on their market data session (and nothing else: no field is validated).
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "protocol/market_data.hpp"

namespace FIX {
class DataDictionary;
class Message;
class Session;
} // namespace FIX

namespace broker::fix {

std::shared_ptr<FIX::DataDictionary> market_data_dictionary();
// Puts it on `session` (before it starts), so that session's groups parse.
void parse_market_data_groups(FIX::Session& session, const std::string& begin_string);

// The market data session's block of QuickFIX settings ("[SESSION]..."): no
// messages kept for resending, sequence numbers afresh at every logon.
std::string market_data_session_settings(const std::string& begin_string, const std::string& sender_comp_id,
                                         const std::string& target_comp_id);

// ---- the broker ---------------------------------------------------------------

FIX::Message market_data_request(const std::string& request_id, const std::vector<std::string>& symbols);

// A snapshot or an incremental refresh as ticks, in the order the exchange
// made them. A snapshot is one tick of its bid and offer only (no trade: the
// last trade is history the broker has or has missed, not a new trade).
// Incremental entries change the bid and offer of `book` (the link's view of
// each symbol's top of book, kept across messages); each trade entry becomes
// a tick with the book's bid and offer at that point, and a symbol whose bid
// or offer changed without a trade after it gets a quote-only tick.
struct top_of_book {
  money bid = 0;
  money ask = 0;
};
using book_tops = std::map<std::string, top_of_book>;
struct market_data {
  std::string request_id;
  std::vector<tick> ticks;
};
// `now` stands in for an entry without MDEntryDate/MDEntryTime. An error
// names the tag that is missing or malformed.
std::variant<market_data, std::string> read_market_data(const FIX::Message& m, book_tops& book, timestamp now);

struct market_data_reject {
  std::string request_id;
  std::string text;
};
market_data_reject read_market_data_reject(const FIX::Message& m);

// ---- the exchange ----------------------------------------------------------------

struct subscription {
  std::string request_id;
  char request_type = '1'; // 0 snapshot, 1 snapshot + updates, 2 unsubscribe
  std::vector<std::string> symbols;
};
std::variant<subscription, std::string> read_market_data_request(const FIX::Message& m);

// The snapshot of one symbol: its bid and offer (0: none), its last trade
// (quantity 0: none yet).
FIX::Message snapshot_message(const std::string& request_id, const tick& top, timestamp now);
// One incremental refresh of `ticks` (any symbols, in order).
FIX::Message incremental_message(const std::string& request_id, const std::vector<tick>& ticks);
FIX::Message market_data_reject_message(const std::string& request_id, const std::string& why);

} // namespace broker::fix
