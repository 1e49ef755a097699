#pragma once
// The operator console's live feed: a WebSocket on the admin listener
// (/admin/v1/live) that pushes the actor table at most once a second.
//
// Frames in (JSON):
//   {"action":"auth","token":T}        an operator's token; nothing is pushed before it
//   {"action":"watch","kind":..,"key":..,"sort":..,"limit":..}   what the table shows
// Frames out:
//   {"type":"ack","action":A} | {"type":"error","code":..,"message":..,"field":..}
//   {"type":"actors", "at": ISO time, "halts": N, "exchangeUp": bool, "table": the table of GET /admin/v1/actors}
//   {"type":"charts", ...GET /admin/v1/charts}  after auth, then each time a slot closes (every 10 s)
// A frame that finds the socket queue full is dropped: the next second's is newer.
#include <memory>

#include "actors/node.hpp"
#include "edge/actor_table.hpp"
#include "edge/http_server.hpp"
#include "edge/load_charts.hpp"
#include "edge/tokens.hpp"

namespace broker::edge {

// `audit(operator, detail)` is told when an operator opens the feed.
std::shared_ptr<ws_handler> open_console_feed(node& n, const token_authority& operator_tokens,
                                              actor_table& table, const load_figures& load,
                                              std::shared_ptr<ws_sink> sink,
                                              std::function<void(const std::string&)> audit);

} // namespace broker::edge
