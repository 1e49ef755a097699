#include "sim/invariants.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace broker::sim {

namespace {

struct user_flows {
  ledger_totals ledger;
  money deposits = 0, withdrawals = 0, pending_withdrawals = 0;
  money bought = 0, sold = 0, charges = 0;
  money buy_holds = 0;
};

struct order_fills {
  int64_t quantity = 0;
  money value = 0;
  money charges = 0;
};

std::string money_text(money m) { return std::to_string(m); }

} // namespace

std::vector<invariant_violation> check_books(const store_snapshot& s, size_t limit) {
  std::vector<invariant_violation> out;
  auto broken = [&](const char* name, std::string detail) {
    if (out.size() < limit)
      out.push_back({name, std::move(detail)});
  };
  std::map<user_id, user_flows> users;
  for (auto& e : s.journal) {
    if (e.sum() != 0)
      broken("journal_balanced", "entry " + std::to_string(e.id) + " of user " + std::to_string(e.user) + " sums to "
                                   + money_text(e.sum()));
    users[e.user].ledger.add(e);
  }
  for (auto& t : s.transfers) {
    auto& u = users[t.user];
    if (t.status == transfer_status::completed)
      (t.kind == transfer_kind::deposit ? u.deposits : u.withdrawals) += t.amount;
    else if (t.status == transfer_status::pending && t.kind == transfer_kind::withdrawal)
      u.pending_withdrawals += t.amount;
  }
  std::set<std::string> exec_ids;
  std::map<order_id, order_fills> fills;
  std::map<std::pair<user_id, std::string>, int64_t> shares; // bought - sold
  for (auto& e : s.executions) {
    if (!exec_ids.insert(e.report.exec_id).second)
      broken("executions_once", "execution " + e.report.exec_id + " of order "
                                  + std::to_string(e.report.client_order_id) + " is stored twice");
    if (e.report.kind != exec_kind::trade)
      continue;
    money value = e.report.last_quantity * e.report.last_price;
    auto& f = fills[e.report.client_order_id];
    f.quantity += e.report.last_quantity;
    f.value += value;
    f.charges += e.fees.total();
    auto& u = users[e.user];
    (e.side == side::buy ? u.bought : u.sold) += value;
    u.charges += e.fees.total();
    shares[{e.user, e.symbol}] += e.side == side::buy ? e.report.last_quantity : -e.report.last_quantity;
  }
  std::map<std::pair<user_id, std::string>, int64_t> selling; // leaves of working sells
  for (auto& o : s.orders) {
    auto id = "order " + std::to_string(o.id);
    auto f = fills.count(o.id) ? fills[o.id] : order_fills{};
    if (o.filled_quantity < 0 || o.filled_quantity > o.quantity)
      broken("fills_add_up", id + " filled " + std::to_string(o.filled_quantity) + " of " + std::to_string(o.quantity));
    if (f.quantity != o.filled_quantity || f.value != o.filled_value || f.charges != o.fees)
      broken("fills_add_up", id + " says filled " + std::to_string(o.filled_quantity) + " for "
                               + money_text(o.filled_value) + " (charges " + money_text(o.fees)
                               + "), its trades " + std::to_string(f.quantity) + " for " + money_text(f.value)
                               + " (charges " + money_text(f.charges) + ")");
    if (!is_final(o.status) && o.leaves_quantity() <= 0)
      broken("fills_add_up", id + " is working with nothing left");
    if (!is_final(o.status)) {
      if (o.side == side::buy)
        users[o.user].buy_holds += o.held_cash;
      else
        selling[{o.user, o.symbol}] += o.leaves_quantity();
    }
  }
  for (auto& a : s.accounts) {
    auto& u = users[a.user];
    money total = u.ledger[ledger_account::user_cash] + u.ledger[ledger_account::user_unsettled]
                  + u.ledger[ledger_account::user_held];
    if (a.cash != total)
      broken("account_row", "user " + std::to_string(a.user) + ": row " + money_text(a.cash) + ", journal "
                              + money_text(total));
  }
  for (auto& [user, u] : users) {
    auto who = "user " + std::to_string(user);
    for (auto acct : {ledger_account::user_cash, ledger_account::user_unsettled, ledger_account::user_held})
      if (u.ledger[acct] < 0)
        broken("no_negative_money", who + ": " + std::string{to_string(acct)} + " is " + money_text(u.ledger[acct]));
    money total = u.ledger[ledger_account::user_cash] + u.ledger[ledger_account::user_unsettled]
                  + u.ledger[ledger_account::user_held];
    money expected = u.deposits - u.withdrawals - u.bought + u.sold - u.charges;
    if (total != expected)
      broken("money_conserved", who + ": holds " + money_text(total) + ", deposits " + money_text(u.deposits)
                                  + " - withdrawals " + money_text(u.withdrawals) + " - buys " + money_text(u.bought)
                                  + " + sells " + money_text(u.sold) + " - charges " + money_text(u.charges) + " = "
                                  + money_text(expected));
    if (u.ledger[ledger_account::user_held] != u.buy_holds + u.pending_withdrawals)
      broken("held_cash", who + ": held " + money_text(u.ledger[ledger_account::user_held]) + ", working buys hold "
                            + money_text(u.buy_holds) + ", pending withdrawals " + money_text(u.pending_withdrawals));
  }
  std::set<std::pair<user_id, std::string>> seen;
  for (auto& h : s.holdings) {
    std::pair<user_id, std::string> key{h.user, h.position.symbol};
    seen.insert(key);
    auto who = "user " + std::to_string(h.user) + " " + h.position.symbol;
    if (h.position.quantity != shares[key])
      broken("holdings", who + ": " + std::to_string(h.position.quantity) + " shares, fills say "
                           + std::to_string(shares[key]));
    if (h.position.held_quantity != selling[key] || h.position.held_quantity < 0
        || h.position.held_quantity > h.position.quantity)
      broken("holdings", who + ": " + std::to_string(h.position.held_quantity) + " held of "
                           + std::to_string(h.position.quantity) + ", working sells leave "
                           + std::to_string(selling[key]));
  }
  for (auto& [key, n] : shares)
    if (n != 0 && !seen.count(key))
      broken("holdings", "user " + std::to_string(key.first) + " " + key.second + ": fills say "
                           + std::to_string(n) + " shares, no holding row");
  return out;
}

namespace {

// What the exchange's reports say of one order.
struct exchange_view {
  std::map<std::string, const execution_report*> trades; // by exec id
  int64_t cum = 0;
  std::optional<order_status> end; // from its last final report; none: working
};

std::optional<order_status> end_of(const execution_report& r) {
  switch (r.kind) {
    case exec_kind::trade: return r.leaves_quantity == 0 ? std::optional{order_status::filled} : std::nullopt;
    case exec_kind::cancelled: return order_status::cancelled;
    case exec_kind::expired: return order_status::expired;
    case exec_kind::rejected: return order_status::rejected;
    default: return std::nullopt;
  }
}

} // namespace

std::vector<invariant_violation> check_against_exchange(const store_snapshot& s,
                                                        const std::vector<execution_report>& exchange,
                                                        size_t limit) {
  std::vector<invariant_violation> out;
  auto broken = [&](std::string detail) {
    if (out.size() < limit)
      out.push_back({"books_match_exchange", std::move(detail)});
  };
  std::map<order_id, exchange_view> venue;
  for (auto& r : exchange) {
    auto& v = venue[r.client_order_id];
    if (r.kind == exec_kind::trade)
      v.trades[r.exec_id] = &r;
    v.cum = std::max(v.cum, r.cum_quantity);
    if (!v.end)
      v.end = end_of(r);
  }
  std::map<order_id, std::set<std::string>> booked; // trades in the books, by order
  for (auto& e : s.executions) {
    if (e.report.kind != exec_kind::trade)
      continue;
    auto id = e.report.client_order_id;
    booked[id].insert(e.report.exec_id);
    auto v = venue.find(id);
    auto t = v == venue.end() ? nullptr : v->second.trades.count(e.report.exec_id) ? v->second.trades.at(e.report.exec_id) : nullptr;
    if (!t)
      broken("order " + std::to_string(id) + " has fill " + e.report.exec_id + " the exchange never made");
    else if (t->last_quantity != e.report.last_quantity || t->last_price != e.report.last_price)
      broken("fill " + e.report.exec_id + " of order " + std::to_string(id) + " is " + std::to_string(e.report.last_quantity)
             + " @ " + money_text(e.report.last_price) + " in the books, " + std::to_string(t->last_quantity) + " @ "
             + money_text(t->last_price) + " at the exchange");
  }
  for (auto& o : s.orders) {
    auto v = venue.find(o.id);
    std::string which = "order " + std::to_string(o.id) + " of user " + std::to_string(o.user);
    if (v == venue.end()) {
      if (!is_final(o.status) || o.filled_quantity != 0)
        broken(which + " never reached the exchange and is " + std::string{to_string(o.status)} + " with "
               + std::to_string(o.filled_quantity) + " filled");
      continue;
    }
    for (auto& [id, _] : v->second.trades)
      if (!booked[o.id].count(id))
        broken(which + " lacks the exchange's fill " + id);
    if (o.filled_quantity != v->second.cum)
      broken(which + " has " + std::to_string(o.filled_quantity) + " filled, the exchange " + std::to_string(v->second.cum));
    auto end = v->second.end;
    bool same = end ? o.status == *end : !is_final(o.status);
    if (!same)
      broken(which + " is " + std::string{to_string(o.status)} + " in the books and "
             + (end ? std::string{to_string(*end)} : std::string{"working"}) + " at the exchange");
  }
  return out;
}

std::string describe(const std::vector<invariant_violation>& v) {
  std::string out;
  for (auto& x : v)
    out += x.invariant + ": " + x.detail + "\n";
  return out;
}

} // namespace broker::sim
