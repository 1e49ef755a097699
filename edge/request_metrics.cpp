#include "edge/request_metrics.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "edge/endpoints.hpp"

namespace broker::edge {

void latency_histogram::add(int64_t latency_ns, bool server_error) {
  double s = static_cast<double>(latency_ns) / 1e9;
  auto it = std::lower_bound(bounds_s.begin(), bounds_s.end(), s); // le: s <= bound
  ++buckets[static_cast<size_t>(it - bounds_s.begin())];
  ++count;
  sum_ns += latency_ns;
  if (server_error)
    ++server_errors;
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < buckets.size(); ++i)
    buckets[i] += other.buckets[i];
  count += other.count;
  server_errors += other.server_errors;
  sum_ns += other.sum_ns;
}

double latency_histogram::quantile(double q) const {
  if (count == 0)
    return 0;
  double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (static_cast<double>(below + buckets[i]) >= rank && buckets[i] > 0) {
      if (i == bounds_s.size())
        return bounds_s.back();
      double lower = i == 0 ? 0 : bounds_s[i - 1];
      double within = (rank - static_cast<double>(below)) / static_cast<double>(buckets[i]);
      return lower + (bounds_s[i] - lower) * std::clamp(within, 0.0, 1.0);
    }
    below += buckets[i];
  }
  return bounds_s.back();
}

request_metrics::request_metrics(std::function<int64_t()> now_ns, options opts)
  : now_ns_(std::move(now_ns)), opts_(opts) {
  if (!now_ns_)
    now_ns_ = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
    };
  assert(opts_.slot_ns > 0 && opts_.slots > 0);
}

void request_metrics::record(std::string_view method, std::string_view endpoint, int status,
                             int64_t latency_ns) {
  int64_t slot = now_ns_() / opts_.slot_ns;
  bool server_error = status >= 500;
  latency_ns = std::max<int64_t>(latency_ns, 0);
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = series_.find(std::pair<std::string_view, std::string_view>{endpoint, method});
  if (it == series_.end()) {
    series s;
    s.figures.method = std::string{method};
    s.figures.endpoint = std::string{endpoint};
    // One more than shown: the current slot, still filling.
    s.ring.resize(opts_.slots + 1);
    s.ring_slot.assign(opts_.slots + 1, -1);
    it = series_.emplace(std::pair{std::string{endpoint}, std::string{method}}, std::move(s)).first;
  }
  auto& s = it->second;
  s.figures.since_start.add(latency_ns, server_error);
  ++s.figures.by_status[status];
  size_t i = static_cast<size_t>(slot % static_cast<int64_t>(s.ring.size()));
  if (s.ring_slot[i] != slot) {
    s.ring[i] = {};
    s.ring_slot[i] = slot;
  }
  s.ring[i].add(latency_ns, server_error);
}

std::vector<request_metrics::endpoint_figures> request_metrics::totals() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<endpoint_figures> out;
  out.reserve(series_.size());
  for (auto& [key, s] : series_)
    out.push_back(s.figures);
  return out;
}

request_metrics::history_view request_metrics::history() const {
  history_view view;
  view.slot_ns = opts_.slot_ns;
  int64_t current = now_ns_() / opts_.slot_ns;
  view.end_ns = current * opts_.slot_ns;
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [key, s] : series_) {
    auto f = s.figures;
    f.slots.resize(opts_.slots);
    for (size_t k = 0; k < opts_.slots; ++k) {
      int64_t slot = current - static_cast<int64_t>(opts_.slots - k);
      size_t i = static_cast<size_t>(slot % static_cast<int64_t>(s.ring.size()));
      if (slot >= 0 && s.ring_slot[i] == slot)
        f.slots[k] = s.ring[i];
    }
    view.endpoints.push_back(std::move(f));
  }
  return view;
}

void timed_requests::on_request(http_request req, respond_fn respond) {
  int64_t start = metrics_->now_ns();
  auto endpoint = endpoint_of(req.path);
  auto method = method_label(req.method);
  // A respond_fn is called at most once; the copy the server holds answers 500
  // if every copy is dropped unanswered, which this wrapper then does not see:
  // such a request is counted nowhere, as it is a bug (logged by the server).
  inner_.on_request(std::move(req), [metrics = metrics_, start, endpoint, method, respond = std::move(respond)](http_response r) {
    metrics->record(method, endpoint, r.status, metrics->now_ns() - start);
    respond(std::move(r));
  });
}

std::shared_ptr<ws_handler> timed_requests::on_websocket(const http_request& req, std::shared_ptr<ws_sink> sink) {
  int64_t start = metrics_->now_ns();
  auto handler = inner_.on_websocket(req, std::move(sink));
  metrics_->record(method_label(req.method), endpoint_of(req.path), handler ? 101 : 404,
                   metrics_->now_ns() - start);
  return handler;
}

} // namespace broker::edge
