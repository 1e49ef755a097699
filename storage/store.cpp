#include "storage/store.hpp"

#include <algorithm>

namespace broker {

namespace {

template <class T, class Owner>
void keep_only(std::vector<T>& rows, Owner owner) {
  rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const T& r) { return !owner(r); }), rows.end());
}

} // namespace

store_snapshot store::load_user(user_id u) {
  auto s = load();
  keep_only(s.users, [&](const user_profile& x) { return x.id == u; });
  keep_only(s.accounts, [&](const account_row& x) { return x.user == u; });
  keep_only(s.holdings, [&](const holding_row& x) { return x.user == u; });
  keep_only(s.orders, [&](const order& x) { return x.user == u; });
  keep_only(s.executions, [&](const execution_row& x) { return x.user == u; });
  keep_only(s.transfers, [&](const transfer& x) { return x.user == u; });
  keep_only(s.idempotency, [&](const idempotency_entry& x) { return x.user == u; });
  keep_only(s.alerts, [&](const price_alert& x) { return x.user == u; });
  keep_only(s.journal, [&](const journal_entry& x) { return x.user == u; });
  keep_only(s.settlements, [&](const settlement_row& x) { return x.user == u; });
  keep_only(s.notifications, [&](const notification& x) { return x.user == u; });
  keep_only(s.watchlists, [&](const watchlist& x) { return x.user == u; });
  return s;
}

std::vector<price_alert> store::active_alerts_of(const std::string& symbol) {
  auto alerts = load().alerts;
  keep_only(alerts, [&](const price_alert& a) { return a.symbol == symbol && a.status == alert_status::active; });
  return alerts;
}

} // namespace broker
