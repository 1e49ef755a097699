#pragma once
// The node's figures in Prometheus' text exposition format (version 0.0.4),
// for GET /metrics on the admin listener: actors by kind, their messages,
// handler time, restarts and mailbox depths; requests and their latency per
// endpoint (histograms); market data, the exchange link, halts and the
// store's commits (a histogram). Counters end in _total, times are seconds.
#include <string>
#include <vector>

#include "actors/node.hpp"
#include "edge/request_metrics.hpp"

namespace broker::edge {

std::string prometheus_text(const node& n, const std::vector<actor_sample>& samples,
                            const request_metrics& requests);

} // namespace broker::edge
