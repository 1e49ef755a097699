#pragma once
// Request counts and latencies per endpoint, for the operator console's charts
// and /metrics: since the start (Prometheus histograms), and per time slot
// over the last 15 minutes (the console's charts).
//
// Latency is the server's: from the request reaching its handler to the
// response being handed back to the transport, so it covers the actors' work
// and the store's commit of an order, not the network.
//
// Thread-safe (the listeners' I/O threads record, the console reads): one
// mutex, held for a map lookup and a few additions per request.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "edge/http_server.hpp"

namespace broker::edge {

struct latency_histogram {
  // Upper bounds of the buckets, seconds (Prometheus' `le`); one more bucket
  // holds what is above the last.
  static constexpr std::array<double, 14> bounds_s{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,    0.1,    0.25,  0.5,    1,     2.5,   5};
  std::array<uint64_t, bounds_s.size() + 1> buckets{}; // each its own, not cumulative
  uint64_t count = 0;
  uint64_t server_errors = 0; // answered 5xx
  int64_t sum_ns = 0;

  void add(int64_t latency_ns, bool server_error);
  void merge(const latency_histogram& other);
  // The q-quantile (0 < q <= 1) in seconds, interpolated within its bucket as
  // Prometheus' histogram_quantile() does; beyond the last bound it is the
  // last bound. 0 when empty.
  double quantile(double q) const;
};

// The charts' resolution: 90 slots of 10 s are the last 15 minutes.
struct request_slots {
  int64_t slot_ns = 10'000'000'000;
  size_t slots = 90;
};

class request_metrics {
public:
  using options = request_slots;
  // `now_ns`: a measurement clock (default: the steady clock), not business time.
  explicit request_metrics(std::function<int64_t()> now_ns = {}, options opts = {});

  // One answered request. `endpoint` is a route template (endpoint_of()).
  void record(std::string_view method, std::string_view endpoint, int status, int64_t latency_ns);

  struct endpoint_figures {
    std::string method;
    std::string endpoint;
    latency_histogram since_start;
    std::map<int, uint64_t> by_status; // status code -> requests
    // history() only: the last `slots` complete slots, oldest first.
    std::vector<latency_histogram> slots;
  };
  // By endpoint, then method; `slots` left empty.
  std::vector<endpoint_figures> totals() const;

  struct history_view {
    int64_t slot_ns = 0;
    int64_t end_ns = 0; // where the last complete slot ends (measurement clock)
    std::vector<endpoint_figures> endpoints;
  };
  history_view history() const;

  int64_t now_ns() const { return now_ns_(); }
  const options& settings() const { return opts_; }

private:
  struct series {
    endpoint_figures figures;
    // ring[i] holds slot number ring_slot[i] (now / slot_ns); a slot not
    // written since it came round again is stale and reads as empty.
    std::vector<latency_histogram> ring;
    std::vector<int64_t> ring_slot;
  };

  std::function<int64_t()> now_ns_;
  options opts_;
  mutable std::mutex mutex_;
  // (endpoint, method), looked up by string_views without building strings.
  struct by_endpoint {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, std::string_view>{a.first, a.second}
             < std::pair<std::string_view, std::string_view>{b.first, b.second};
    }
  };
  std::map<std::pair<std::string, std::string>, series, by_endpoint> series_;
};

// Wraps a listener's handler: each request is timed until its response and
// recorded under its endpoint; a WebSocket upgrade is recorded when it is
// accepted or refused.
// A response may be given after the server stopped (an actor answering late),
// so the figures are shared by each request in flight.
class timed_requests final : public request_handler {
public:
  timed_requests(request_handler& inner, std::shared_ptr<request_metrics> metrics)
    : inner_(inner), metrics_(std::move(metrics)) {}
  void on_request(http_request req, respond_fn respond) override;
  std::shared_ptr<ws_handler> on_websocket(const http_request& req, std::shared_ptr<ws_sink> sink) override;

private:
  request_handler& inner_;
  std::shared_ptr<request_metrics> metrics_;
};

} // namespace broker::edge
