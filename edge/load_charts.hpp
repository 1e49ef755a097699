#pragma once
// The console's load charts: request rates and latencies per endpoint, and
// the rates of the node's own counters (fan-out, commits, ticks, actor
// messages), slot by slot over the last 15 minutes. One JSON document, served
// at GET /admin/v1/charts and pushed on the live feed when a slot closes:
//
//   {"slotSeconds":10, "slots":90,
//    "endpoints":[{"method","endpoint","requests", "perSecond":[..], "p50Ms":[..],
//                  "p99Ms":[..], "serverErrors":[..]}, ...],   busiest in the window first
//    "rates":[{"name","perSecond":[.. or null]}, ...]}
// Arrays are oldest first; the last element is the slot that closed last.
#include <memory>
#include <string>

#include "edge/rate_history.hpp"
#include "edge/request_metrics.hpp"

namespace broker {
class node;
}

namespace broker::edge {

// Both rings on one resolution: 90 slots of `slot_seconds`.
struct load_figures {
  explicit load_figures(int slot_seconds = 10);
  std::shared_ptr<request_metrics> requests;
  std::shared_ptr<rate_history> rates;
};

// The node's counters, observed into `rates` (the series named in the JSON):
// quotePushes, ticksIngested, storeCommits, actorMessages.
void observe_node_counters(const node& n, rate_history& rates);

// At most `max_endpoints`, the busiest over the window.
std::string render_load_charts(const load_figures& figures, size_t max_endpoints = 16);

} // namespace broker::edge
