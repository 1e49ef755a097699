#include "edge/endpoints.hpp"

#include <array>

namespace broker::edge {

namespace {

// Every route of rest_api, account_api, lists_api and admin_api. A segment in
// braces matches any one non-empty segment; the rest match exactly. Listed so
// that a literal route comes before a template that would also match it
// (/v1/stocks/search before /v1/stocks/{symbol}).
constexpr std::array routes{
  std::string_view{"/v1/health"},
  std::string_view{"/v1/metrics"},
  std::string_view{"/v1/ws"},
  std::string_view{"/v1/users/signup"},
  std::string_view{"/v1/users/login"},
  std::string_view{"/v1/users/me"},
  std::string_view{"/v1/users/kyc"},
  std::string_view{"/v1/funds/balance"},
  std::string_view{"/v1/funds/deposit"},
  std::string_view{"/v1/funds/withdraw"},
  std::string_view{"/v1/funds/history"},
  std::string_view{"/v1/transactions"},
  std::string_view{"/v1/trades"},
  std::string_view{"/v1/orders"},
  std::string_view{"/v1/orders/{orderId}"},
  std::string_view{"/v1/alerts"},
  std::string_view{"/v1/alerts/{alertId}"},
  std::string_view{"/v1/portfolio"},
  std::string_view{"/v1/portfolio/holdings"},
  std::string_view{"/v1/portfolio/positions"},
  std::string_view{"/v1/portfolio/performance"},
  std::string_view{"/v1/reports/tax"},
  std::string_view{"/v1/watchlists"},
  std::string_view{"/v1/watchlists/{id}"},
  std::string_view{"/v1/watchlists/{id}/symbols"},
  std::string_view{"/v1/watchlists/{id}/symbols/{symbol}"},
  std::string_view{"/v1/notifications"},
  std::string_view{"/v1/notifications/read"},
  std::string_view{"/v1/stocks"},
  std::string_view{"/v1/stocks/search"},
  std::string_view{"/v1/stocks/{symbol}"},
  std::string_view{"/v1/stocks/{symbol}/history"},
  std::string_view{"/v1/market/movers"},
  std::string_view{"/v1/market/indices"},
  std::string_view{"/"},
  std::string_view{"/favicon.ico"},
  std::string_view{"/console/{file}"},
  std::string_view{"/metrics"},
  std::string_view{"/admin/v1/login"},
  std::string_view{"/admin/v1/live"},
  std::string_view{"/admin/v1/actors"},
  std::string_view{"/admin/v1/actors/{id}"},
  std::string_view{"/admin/v1/actors/{id}/trace"},
  std::string_view{"/admin/v1/tree"},
  std::string_view{"/admin/v1/halts"},
  std::string_view{"/admin/v1/audit"},
  std::string_view{"/admin/v1/charts"},
  std::string_view{"/admin/v1/actions/{action}"},
};

// The next segment of `path` from `pos` (which is at a '/'); advances pos.
std::string_view next_segment(std::string_view path, size_t& pos) {
  size_t start = pos + 1;
  size_t end = path.find('/', start);
  if (end == std::string_view::npos)
    end = path.size();
  pos = end;
  return path.substr(start, end - start);
}

bool matches(std::string_view route, std::string_view path) {
  if (route == "/")
    return path == "/";
  size_t r = 0, p = 0;
  while (r < route.size() && p < path.size()) {
    if (route[r] != '/' || path[p] != '/')
      return false;
    auto want = next_segment(route, r);
    auto got = next_segment(path, p);
    bool any = want.size() > 2 && want.front() == '{' && want.back() == '}';
    if (any ? got.empty() : want != got)
      return false;
  }
  return r == route.size() && p == path.size();
}

} // namespace

std::string_view endpoint_of(std::string_view path) {
  for (auto route : routes)
    if (matches(route, path))
      return route;
  return "unmatched";
}

std::string_view method_label(std::string_view method) {
  for (std::string_view m : {"GET", "POST", "PUT", "PATCH", "DELETE"})
    if (method == m)
      return m;
  return "OTHER";
}

} // namespace broker::edge
