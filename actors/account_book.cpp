#include "actors/account_book.hpp"

#include <algorithm>

#include <cstdio>
#include <cstdlib>

#include "protocol/decimal.hpp"
#include "protocol/staggered_growth.hpp"

// Money invariants stay checked in release builds.
#define BOOK_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "account %lld invariant violated: %s (%s)\n",             \
                   static_cast<long long>(profile_.id), what, #cond);                 \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)

namespace broker {

namespace {

rejection reject(reject_reason r, std::string message, std::string field = {}) {
  return rejection{r, std::move(message), std::move(field)};
}

std::string rupees(money m) { return format_decimal(m, money_scale); }

// One page of what `keep` accepts of `all` (oldest first), newest first, into
// `page_items`; returns how many it accepts in all.
template <class T, class Keep>
int64_t newest_first(const std::deque<T>& all, int64_t page, int64_t limit,
                     std::vector<T>& page_items, Keep keep) {
  int64_t total = 0, skip = (page - 1) * limit;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!keep(*it))
      continue;
    if (total++ >= skip && static_cast<int64_t>(page_items.size()) < limit)
      page_items.push_back(*it);
  }
  return total;
}

// splitmix64's finalizer: a well-spread hash of a counter.
uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string order_reference(order_id id) { return "order:" + std::to_string(id); }
std::string transfer_reference(int64_t id) { return "transfer:" + std::to_string(id); }

// The price a buy order's hold is computed at: the most it can pay a share.
// A market or SL-M buy can trade up to the top of the price band.
money hold_price(const place_order_request& r, const instrument& inst) {
  switch (r.type) {
    case order_type::limit:
    case order_type::stop_limit:
      return r.price;
    default:
      return inst.upper_band();
  }
}

// Why a report cannot apply to the order as it stands, or null if it can.
// What a fill of `value` costs an order in charges: the charges on its new
// cumulative value less those on what it had traded before.
fee_breakdown fill_charges(const fee_schedule& f, const order& o, money value) {
  return charges_for(f, o.side, o.filled_value + value).minus(charges_for(f, o.side, o.filled_value));
}

const char* implausible(const order& o, const execution_report& r, const fee_schedule& fees) {
  switch (r.kind) {
    case exec_kind::trade:
      if (r.last_quantity <= 0 || r.last_price <= 0)
        return "a trade needs a positive quantity and price";
      if (o.filled_quantity + r.last_quantity > o.quantity)
        return "the fill exceeds the order quantity";
      if (o.side == side::buy) {
        money value = r.last_quantity * r.last_price;
        if (value + fill_charges(fees, o, value).total() > o.held_cash)
          return "the fill costs more than the order holds (price above its limit)";
      }
      return nullptr;
    case exec_kind::rejected:
      if (o.status != order_status::pending && o.status != order_status::pending_cancel)
        return "only an order the exchange has not accepted can be rejected";
      if (o.filled_quantity > 0)
        return "an order with fills cannot be rejected";
      return nullptr;
    default:
      return nullptr;
  }
}

} // namespace

journal_entry opening_balance_entry(int64_t id, user_id user, money cash) {
  journal_entry e;
  e.id = id;
  e.user = user;
  e.kind = journal_kind::opening_balance;
  e[ledger_account::user_cash] = cash;
  e[ledger_account::bank] = -cash;
  return e;
}

void give_opening_balance(account_seed& seed, money cash) {
  seed.account.cash = cash;
  seed.journal = {opening_balance_entry(1, seed.profile.id, cash)};
}

account_book::account_book(account_seed seed, id_sources ids,
                           std::shared_ptr<const book_rules> rules)
  : profile_(std::move(seed.profile)),
    rules_(rules ? std::move(rules) : std::make_shared<const book_rules>()),
    lots_(rules_->cost_basis),
    order_ids_(std::move(ids.orders)),
    next_transfer_id_(seed.account.next_transfer_id),
    journal_ids_(std::move(ids.journal_entries)),
    notification_ids_(std::move(ids.notifications)),
    journal_(std::make_move_iterator(seed.journal.begin()),
             std::make_move_iterator(seed.journal.end())),
    notifications_(std::make_move_iterator(seed.notifications.begin()),
                   std::make_move_iterator(seed.notifications.end())) {
  ledger_.user = profile_.id;
  table_growth_point_ = staggered_growth_point(mix64(static_cast<uint64_t>(profile_.id)));
  // A book on its own numbers after the highest id it holds.
  auto own_source = [](std::shared_ptr<order_id_source>& source, int64_t highest) {
    if (!source)
      source = std::make_shared<order_id_source>(highest + 1);
  };
  order_id highest_order = 0;
  for (auto& o : seed.orders)
    highest_order = std::max(highest_order, o.id);
  own_source(order_ids_, highest_order);
  own_source(journal_ids_, journal_.empty() ? 0 : journal_.back().id);
  own_source(notification_ids_, notifications_.empty() ? 0 : notifications_.back().id);
  // The balances are the journal's sums.
  for (auto& e : journal_) {
    BOOK_CHECK(e.sum() == 0, "a stored journal entry balances");
    ledger_.add(e);
  }
  for (auto& n : notifications_)
    unread_ += n.read ? 0 : 1;

  for (auto& h : seed.holdings)
    holdings_.emplace(h.symbol, std::move(h));
  for (auto& o : seed.orders) {
    auto id = o.id;
    auto& stored = orders_.emplace(id, std::move(o)).first->second;
    if (!is_final(stored.status))
      working_.emplace(id, working_order{&stored, {}, {}});
  }
  // Only trades are stored: a replayed trade of a working order stays a
  // replay across a restart (a repeated "accepted" changes nothing anyway).
  for (auto& e : seed.trades)
    if (auto w = working_.find(e.report.client_order_id); w != working_.end())
      w->second.applied_exec_ids.push_back(e.report.exec_id);
  for (auto& e : seed.idempotency)
    idempotency_.emplace(e.key, std::move(e));
  for (auto& t : seed.transfers)
    transfers_.emplace(t.id, std::move(t));
  for (auto& a : seed.alerts)
    alerts_.emplace(a.id, std::move(a));
  for (auto& st : seed.settlements)
    if (st.amount != 0)
      unsettled_by_day_[st.due_day] += st.amount;

  // Lots are not stored: they replay the trades. Shares owned before any
  // recorded trade (an older database) open as one lot at their stored basis.
  std::map<std::string, int64_t> traded;
  for (auto& e : seed.trades)
    traded[e.symbol] += e.side == side::buy ? e.report.last_quantity : -e.report.last_quantity;
  for (auto& [symbol, h] : holdings_) {
    int64_t untraced = h.quantity - traded[symbol];
    if (untraced > 0)
      lots_.add_lot(symbol, open_lot{"opening", 0, untraced,
                                     static_cast<money>(static_cast<__int128>(h.cost_basis)
                                                        * untraced / h.quantity)});
  }
  for (auto& e : seed.trades)
    record_trade_in_lots(e, e.report.time);
  // Kept for /v1/trades and the performance series.
  trades_.assign(std::make_move_iterator(seed.trades.begin()),
                 std::make_move_iterator(seed.trades.end()));
  for (auto& [symbol, h] : holdings_)
    h.cost_basis = lots_.cost(symbol); // the stored basis may predate lots
  for (auto& o : orders_)
    charges_paid_ += o.second.fees;

  // The journal is the truth; the account row's total must agree with it.
  money user_total = ledger_[ledger_account::user_cash] + ledger_[ledger_account::user_unsettled]
                     + ledger_[ledger_account::user_held];
  if (user_total != seed.account.cash)
    std::fprintf(stderr, "account %lld: stored cash %lld, journal says %lld\n",
                 static_cast<long long>(profile_.id), static_cast<long long>(seed.account.cash),
                 static_cast<long long>(user_total));
  BOOK_CHECK(user_total == seed.account.cash, "the account row agrees with the journal");
  audit(); // what the store held must already satisfy every invariant
}

place_outcome account_book::place(const place_order_request& r, const std::string& key,
                                  const instrument* inst, bool market_open, timestamp now,
                                  write_batch& out) {
  // A repeated key answers with the original order, whatever has changed since.
  if (!key.empty()) {
    if (auto it = idempotency_.find(key); it != idempotency_.end()) {
      if (it->second.request_digest != digest(r))
        return {reject(reject_reason::idempotency_conflict,
                       "Idempotency-Key was already used with a different request")};
      return {orders_.at(it->second.order), true};
    }
  }
  if (profile_.kyc != kyc_status::verified)
    return {reject(reject_reason::kyc_not_verified, "complete KYC before placing orders")};
  if (!inst)
    return {reject(reject_reason::unknown_symbol, "unknown symbol " + r.symbol, "symbol")};
  if (!market_open)
    return {reject(reject_reason::market_closed, "the market is closed")};
  if (r.quantity <= 0 || r.quantity % inst->lot_size != 0)
    return {reject(reject_reason::invalid_lot_size,
                   "quantity must be a positive multiple of the lot size "
                     + std::to_string(inst->lot_size),
                   "quantity")};
  auto check_price = [&](money p, const char* field) -> std::optional<rejection> {
    if (p % inst->tick_size != 0)
      return reject(reject_reason::invalid_tick_size,
                    std::string{field} + " must be a multiple of the tick size "
                      + rupees(inst->tick_size),
                    field);
    if (p < inst->lower_band() || p > inst->upper_band())
      return reject(reject_reason::outside_price_band,
                    std::string{field} + " must be within the price band " + rupees(inst->lower_band())
                      + " - " + rupees(inst->upper_band()),
                    field);
    return std::nullopt;
  };
  bool has_price = r.type == order_type::limit || r.type == order_type::stop_limit;
  bool has_trigger = r.type == order_type::stop_limit || r.type == order_type::stop_market;
  if (has_price)
    if (auto bad = check_price(r.price, "price"))
      return {*bad};
  if (has_trigger)
    if (auto bad = check_price(r.trigger_price, "triggerPrice"))
      return {*bad};

  order o;
  o.user = profile_.id;
  o.symbol = r.symbol;
  o.side = r.side;
  o.type = r.type;
  o.validity = r.validity;
  o.quantity = r.quantity;
  o.price = has_price ? r.price : 0;
  o.trigger_price = has_trigger ? r.trigger_price : 0;
  o.status = order_status::pending;
  o.idempotency_key = key;
  o.created_at = o.updated_at = now;

  money needed = 0;
  if (r.side == side::buy) {
    // The most the order can cost: every share at its highest price, plus
    // the charges on that value (charges grow with value, never shrink).
    money value = r.quantity * hold_price(r, *inst);
    needed = value + charges_for(rules_->fees, side::buy, value).total();
    money available = ledger_balance(ledger_account::user_cash)
                      + ledger_balance(ledger_account::user_unsettled);
    if (needed > available)
      return {reject(reject_reason::insufficient_funds,
                     "order needs " + rupees(needed) + " including charges, available "
                       + rupees(available))};
  } else {
    auto it = holdings_.find(r.symbol);
    int64_t free = it == holdings_.end() ? 0 : it->second.quantity - it->second.held_quantity;
    if (r.quantity > free)
      return {reject(reject_reason::insufficient_holdings,
                     "selling " + std::to_string(r.quantity) + " " + r.symbol + " but only "
                       + std::to_string(free) + " are free to sell")};
    it->second.held_quantity += r.quantity;
    write_holding(r.symbol, out);
  }
  o.id = order_ids_->next(); // only now: a refused order takes no id
  if (needed > 0) {
    // Unsettled proceeds are spent first: settled cash stays withdrawable.
    money from_unsettled = std::min(needed, ledger_balance(ledger_account::user_unsettled));
    o.unsettled_due = draw_unsettled(from_unsettled, out);
    o.held_unsettled = from_unsettled;
    o.held_cash = needed;
    post(journal_kind::order_hold, order_reference(o.id), now,
         {{ledger_account::user_cash, -(needed - from_unsettled)},
          {ledger_account::user_unsettled, -from_unsettled},
          {ledger_account::user_held, needed}},
         out);
  }
  if (!key.empty()) {
    idempotency_entry e{profile_.id, key, digest(r), o.id};
    out.idempotency.push_back(e);
    idempotency_.emplace(key, std::move(e));
  }
  // Its "placed" notification rides in the order's batch: stored with it, or not at all.
  std::string reference = order_reference(o.id);
  std::string message;
  message.reserve(48);
  message.append("Order placed: ").append(to_string(o.side)).append(" ")
    .append(std::to_string(o.quantity)).append(" ").append(o.symbol).append(" ")
    .append(to_string(o.type));
  notify(notification_kind::order_placed, std::move(reference), std::move(message), now, out);
  out.orders.push_back(o);
  // Ids only grow: the order goes in at the end, without walking the tree.
  auto id = o.id;
  auto placed = orders_.emplace_hint(orders_.end(), id, std::move(o));
  working_.emplace(id, working_order{&placed->second, {}, {}});
  grow_at(working_, table_growth_point_);
  grow_at(idempotency_, table_growth_point_);
  after_mutation();
  return {placed->second, false};
}

void account_book::abandon(order_id id, write_batch& out) {
  auto it = orders_.find(id);
  if (it == orders_.end())
    return;
  order& o = it->second;
  // Never sent: still PENDING, or a cancel was asked for before the commit failed.
  BOOK_CHECK((o.status == order_status::pending || o.status == order_status::pending_cancel)
               && o.filled_quantity == 0 && o.exchange_order_id.empty(),
             "only a never-sent order can be abandoned");
  if (o.side == side::buy) {
    // Its hold entry was in the batch that failed: take it back unwritten.
    // Proceeds it drew return to its latest settlement day (never earlier
    // than they would have settled), and every queue day is rewritten, since
    // the failed batch carried the draw.
    unpost(journal_kind::order_hold, order_reference(o.id));
    if (o.held_unsettled > 0)
      unsettled_by_day_[o.unsettled_due] += o.held_unsettled;
    for (auto& [day, _] : unsettled_by_day_)
      write_settlement(day, out);
    o.held_cash = o.held_unsettled = 0;
  } else {
    release_holds(o, o.updated_at, out);
  }
  if (!o.idempotency_key.empty())
    idempotency_.erase(o.idempotency_key);
  // Its "placed" notification was in the failed batch too.
  forget_notification(notification_kind::order_placed, order_reference(o.id));
  working_.erase(id);
  auto symbol = o.symbol;
  bool sell = o.side == side::sell;
  orders_.erase(it);
  // The hold is released (the total is unchanged); the id is not reused.
  if (sell)
    write_holding(symbol, out);
  after_mutation();
}

std::variant<order, rejection> account_book::request_cancel(order_id id, timestamp now,
                                                            write_batch& out) {
  auto it = orders_.find(id);
  if (it == orders_.end())
    return reject(reject_reason::order_not_found, "no such order");
  order& o = it->second;
  if (is_final(o.status))
    return reject(reject_reason::order_not_cancellable,
                  "order is already " + std::string{to_string(o.status)});
  if (o.status == order_status::pending_cancel)
    return o; // already being cancelled: same answer, no second cancel
  set_status(o, order_status::pending_cancel);
  o.updated_at = now;
  out.orders.push_back(o);
  return o;
}

void account_book::undo_cancel(order_id id, order_status before, write_batch& out) {
  auto it = orders_.find(id);
  if (it == orders_.end())
    return; // the order itself was abandoned meanwhile
  order& o = it->second;
  if (o.status != order_status::pending_cancel)
    return; // a report already moved it on
  o.status = before;
  out.orders.push_back(o);
}

std::optional<order> account_book::apply_report(const execution_report& r, timestamp now,
                                                write_batch& out) {
  // Only a working order takes reports: not ours, abandoned before it was
  // sent, or final (a final order takes no more changes) is ignored, and so
  // is a replay of a report already applied.
  auto w = working_.find(r.client_order_id);
  if (w == working_.end())
    return std::nullopt;
  auto& applied = w->second.applied_exec_ids;
  if (std::find(applied.begin(), applied.end(), r.exec_id) != applied.end())
    return std::nullopt;
  applied.push_back(r.exec_id);
  order& o = *w->second.entry;
  // Reports are outside input: one that cannot apply to this order is refused
  // and logged, never allowed to break the books (reconciliation repairs).
  if (auto why = implausible(o, r, rules_->fees)) {
    std::fprintf(stderr, "account %lld: ignoring execution report %s for order %lld: %s\n",
                 static_cast<long long>(profile_.id), r.exec_id.c_str(),
                 static_cast<long long>(o.id), why);
    return std::nullopt;
  }
  // Reports out of order (a replay after a relink, a drop copy): an end
  // counting fills the books have not seen waits for them, else they would
  // reach a final order and be lost. Found by broker-sim (exchange-reorder).
  if ((r.kind == exec_kind::cancelled || r.kind == exec_kind::expired) && r.cum_quantity > o.filled_quantity) {
    applied.pop_back(); // applied when its fills are in, under its own id
    w->second.overtaken_end = r;
    return std::nullopt;
  }
  if (!r.exchange_order_id.empty())
    o.exchange_order_id = r.exchange_order_id;
  o.updated_at = now;

  switch (r.kind) {
    case exec_kind::accepted:
      if (o.status == order_status::pending)
        set_status(o, order_status::open);
      break;
    case exec_kind::trade:
      apply_trade(o, r, now, out);
      break;
    case exec_kind::cancelled:
      set_status(o, order_status::cancelled);
      if (!r.text.empty())
        o.reject_message = r.text;
      break;
    case exec_kind::expired:
      set_status(o, order_status::expired);
      break;
    case exec_kind::rejected:
      set_status(o, order_status::rejected);
      o.reject_code = "exchange_rejected";
      o.reject_message = r.text;
      break;
    case exec_kind::cancel_rejected:
      if (o.status == order_status::pending_cancel)
        set_status(o, o.filled_quantity > 0 ? order_status::partially_filled : order_status::open);
      break;
  }
  if (is_final(o.status)) {
    release_holds(o, now, out);
    if (o.side == side::sell)
      write_holding(o.symbol, out); // its reserved shares are free again
  }
  notify_report(o, r, now, out);
  out.orders.push_back(o);
  if (r.kind == exec_kind::trade)
    write_account(out); // a fill moves the total; holds and releases don't
  after_mutation();
  if (auto still = working_.find(o.id); still != working_.end() && still->second.overtaken_end
                                        && o.filled_quantity >= still->second.overtaken_end->cum_quantity) {
    auto end = std::move(*still->second.overtaken_end);
    still->second.overtaken_end.reset();
    if (auto ended = apply_report(end, now, out))
      return ended;
  }
  return o;
}

void account_book::notify_report(const order& o, const execution_report& r, timestamp now,
                                 write_batch& out) {
  if (r.kind == exec_kind::accepted || r.kind == exec_kind::cancel_rejected)
    return; // nothing to tell: the common case, so no string is built
  std::string what = std::string{to_string(o.side)} + " " + std::to_string(o.quantity) + " " + o.symbol;
  switch (r.kind) {
    case exec_kind::trade: {
      bool done = o.status == order_status::filled;
      std::string message = std::string{o.side == side::buy ? "Bought " : "Sold "}
                            + std::to_string(r.last_quantity) + " " + o.symbol + " at "
                            + rupees(r.last_price);
      if (!done || o.filled_quantity != r.last_quantity)
        message += " (" + std::to_string(o.filled_quantity) + " of " + std::to_string(o.quantity)
                   + " filled)";
      notify(done ? notification_kind::order_filled : notification_kind::order_partially_filled,
             order_reference(o.id), std::move(message), now, out);
      break;
    }
    case exec_kind::cancelled:
      notify(notification_kind::order_cancelled, order_reference(o.id),
             "Order cancelled: " + what
               + (o.filled_quantity > 0 ? " (" + std::to_string(o.filled_quantity) + " filled)" : ""),
             now, out);
      break;
    case exec_kind::rejected:
      notify(notification_kind::order_rejected, order_reference(o.id),
             "Order rejected: " + what + (r.text.empty() ? "" : " (" + r.text + ")"), now, out);
      break;
    case exec_kind::expired:
      notify(notification_kind::order_expired, order_reference(o.id), "Order expired: " + what, now,
             out);
      break;
    default:
      break;
  }
}

void account_book::notify(notification_kind kind, std::string reference, std::string message,
                          timestamp now, write_batch& out) {
  notification n;
  n.id = notification_ids_->next();
  n.user = profile_.id;
  n.at = now;
  n.kind = kind;
  n.reference = std::move(reference);
  n.message = std::move(message);
  ++unread_;
  out.notifications.push_back(n);
  notifications_.push_back(std::move(n));
}

std::variant<int64_t, rejection> account_book::mark_read(const std::vector<int64_t>& ids, bool all,
                                                         write_batch& out) {
  auto find = [this](int64_t id) -> notification* {
    auto it = std::lower_bound(notifications_.begin(), notifications_.end(), id,
                               [](const notification& n, int64_t v) { return n.id < v; });
    return it != notifications_.end() && it->id == id ? &*it : nullptr;
  };
  if (!all)
    for (int64_t id : ids)
      if (!find(id)) // another user's id is "not found" too
        return reject(reject_reason::notification_not_found, "no notification " + std::to_string(id),
                      "ids");
  auto mark = [&](notification& n) {
    if (n.read)
      return;
    n.read = true;
    --unread_;
    out.notification_reads.push_back(notification_read{profile_.id, n.id});
  };
  if (all) {
    for (auto& n : notifications_)
      mark(n);
  } else {
    for (int64_t id : ids)
      mark(*find(id));
  }
  return unread_;
}

void account_book::forget_notification(notification_kind kind, const std::string& reference) {
  auto it = std::find_if(notifications_.rbegin(), notifications_.rend(), [&](const notification& n) {
    return n.kind == kind && n.reference == reference;
  });
  if (it != notifications_.rend()) {
    unread_ -= it->read ? 0 : 1;
    notifications_.erase(std::next(it).base());
  }
}

journal_page account_book::journal_between(timestamp from, timestamp to, int64_t page,
                                           int64_t limit, bool statement) const {
  journal_page out;
  out.total = newest_first(journal_, page, limit, out.entries, [&](const journal_entry& e) {
    return e.at >= from && e.at < to && !(statement && e.user_total() == 0);
  });
  return out;
}

notification_page account_book::notifications_page(bool unread_only, int64_t page,
                                                   int64_t limit) const {
  notification_page out;
  out.unread = unread_;
  out.total = newest_first(notifications_, page, limit, out.entries,
                           [&](const notification& n) { return !unread_only || !n.read; });
  return out;
}

std::vector<day_holdings> account_book::holdings_by_day(int64_t first_day, int64_t last_day) const {
  const auto& cal = rules_->calendar;
  std::vector<day_holdings> out;
  money cash = 0;
  std::map<std::string, int64_t> quantities;
  size_t j = 0, t = 0; // both in time order (ids and application order)
  for (int64_t day = first_day; day <= last_day; ++day) {
    for (; j < journal_.size() && cal.local_day(journal_[j].at) <= day; ++j)
      cash += journal_[j].user_total();
    for (; t < trades_.size() && cal.local_day(trades_[t].report.time) <= day; ++t) {
      auto& x = trades_[t];
      quantities[x.symbol] += x.side == side::buy ? x.report.last_quantity : -x.report.last_quantity;
    }
    day_holdings d;
    d.day = day;
    d.cash = cash;
    for (auto& [symbol, q] : quantities)
      if (q != 0)
        d.quantities.emplace(symbol, q);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<execution_row> account_book::trades_between(timestamp from, timestamp to) const {
  std::vector<execution_row> out;
  for (auto& e : trades_)
    if (e.report.time >= from && e.report.time < to)
      out.push_back(e);
  return out;
}

void account_book::apply_trade(order& o, const execution_report& r, timestamp now,
                               write_batch& out) {
  BOOK_CHECK(o.filled_quantity + r.last_quantity <= o.quantity, "checked by implausible()");
  money value = r.last_quantity * r.last_price;
  fee_breakdown fees = fill_charges(rules_->fees, o, value);
  money charges = fees.total();
  o.filled_quantity += r.last_quantity;
  o.filled_value += value;
  o.fees += charges;
  charges_paid_ += charges;
  auto& h = holdings_[o.symbol];
  h.symbol = o.symbol;
  timestamp traded_at = r.time != 0 ? r.time : now;
  if (o.side == side::buy) {
    money cost = value + charges;
    BOOK_CHECK(cost <= o.held_cash, "a buy fill and its charges are covered by its hold");
    // The fill spends the held settled cash first, so what a later release
    // returns is the unsettled part: it cannot turn into withdrawable cash early.
    money from_cash = o.held_cash - o.held_unsettled;
    if (cost > from_cash)
      o.held_unsettled -= cost - from_cash;
    o.held_cash -= cost;
    post(journal_kind::buy_fill, order_reference(o.id), now,
         {{ledger_account::user_held, -cost},
          {ledger_account::house_settlement, value},
          {ledger_account::house_fees, fees.brokerage},
          {ledger_account::statutory_charges, fees.statutory()}},
         out);
    h.quantity += r.last_quantity;
  } else {
    BOOK_CHECK(charges <= value, "a sale's charges never exceed its proceeds");
    money proceeds = value - charges;
    int64_t due = rules_->calendar.settlement_day(traded_at, rules_->settlement_days);
    bool settled = due <= rules_->calendar.local_day(now); // T+0, or a late report
    post(journal_kind::sell_fill, order_reference(o.id), now,
         {{ledger_account::house_settlement, -value},
          {settled ? ledger_account::user_cash : ledger_account::user_unsettled, proceeds},
          {ledger_account::house_fees, fees.brokerage},
          {ledger_account::statutory_charges, fees.statutory()}},
         out);
    if (!settled)
      add_unsettled(due, proceeds, out);
    h.quantity -= r.last_quantity;
    h.held_quantity -= r.last_quantity;
  }
  execution_row e{o.user, r, o.symbol, o.side, fees};
  if (e.report.time == 0)
    e.report.time = traded_at; // a report without a time is dated when applied
  record_trade_in_lots(e, now);
  trades_.push_back(e);
  h.cost_basis = lots_.cost(o.symbol);
  write_holding(o.symbol, out);
  if (o.filled_quantity == o.quantity)
    set_status(o, order_status::filled);
  else if (o.status != order_status::pending_cancel)
    set_status(o, order_status::partially_filled);
  out.executions.push_back(std::move(e));
}

void account_book::record_trade_in_lots(const execution_row& e, timestamp at) {
  const auto& x = e.report;
  timestamp traded_at = x.time != 0 ? x.time : at;
  int64_t day = rules_->calendar.local_day(traded_at);
  if (day != positions_day_) {
    positions_.clear();
    positions_day_ = day;
  }
  auto& p = positions_[e.symbol];
  money value = x.last_quantity * x.last_price;
  p.charges += e.fees.total();
  if (e.side == side::buy) {
    lots_.buy(e.symbol, x.last_quantity, x.last_price, traded_at, x.exec_id);
    p.bought_quantity += x.last_quantity;
    p.bought_value += value;
  } else {
    money gain = 0;
    for (auto& slice : lots_.sell(e.symbol, x.last_quantity, x.last_price, traded_at, x.exec_id)) {
      gain += slice.gain();
      realized_lots_.push_back(std::move(slice));
    }
    realized_[e.symbol] += gain;
    p.sold_quantity += x.last_quantity;
    p.sold_value += value;
    p.realized += gain;
  }
}

std::map<std::string, day_position> account_book::positions(timestamp now) const {
  if (rules_->calendar.local_day(now) != positions_day_)
    return {};
  return positions_;
}

account_holdings account_book::holdings_at(timestamp now) const {
  account_holdings a;
  for (auto& [_, h] : holdings_)
    if (h.quantity > 0)
      a.holdings.push_back(h);
  a.realized = realized_;
  a.today = positions(now);
  a.cash = cash();
  a.charges_paid = charges_paid_;
  return a;
}

cash_balance account_book::cash() const {
  cash_balance c;
  c.withdrawable = ledger_balance(ledger_account::user_cash);
  c.unsettled = ledger_balance(ledger_account::user_unsettled);
  c.available = c.withdrawable + c.unsettled;
  c.held = ledger_balance(ledger_account::user_held);
  return c;
}

void account_book::settle_due(timestamp now, write_batch& out) {
  int64_t today = rules_->calendar.local_day(now);
  while (!unsettled_by_day_.empty() && unsettled_by_day_.begin()->first <= today) {
    auto [day, amount] = *unsettled_by_day_.begin();
    if (amount > 0)
      post(journal_kind::settlement, "settlement:" + rules_->calendar.date_of_day(day),
           std::max(rules_->calendar.day_start(day), timestamp{0}),
           {{ledger_account::user_unsettled, -amount}, {ledger_account::user_cash, amount}}, out);
    unsettled_by_day_.begin()->second = 0;
    write_settlement(day, out);
    unsettled_by_day_.erase(unsettled_by_day_.begin());
  }
  if (!out.journal.empty())
    after_mutation();
}

void account_book::post(journal_kind kind, std::string reference, timestamp at,
                        std::initializer_list<std::pair<ledger_account, money>> legs,
                        write_batch& out) {
  journal_entry e;
  e.id = journal_ids_->next();
  e.user = profile_.id;
  e.at = at;
  e.kind = kind;
  e.reference = std::move(reference);
  for (auto& [account, amount] : legs)
    e[account] += amount;
  BOOK_CHECK(e.sum() == 0, "a journal entry balances");
  ledger_.add(e);
  journal_.push_back(e);
  out.journal.push_back(std::move(e));
}

void account_book::unpost(journal_kind kind, const std::string& reference) {
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it)
    if (it->kind == kind && it->reference == reference) {
      ledger_.subtract(*it);
      journal_.erase(std::next(it).base());
      return;
    }
  BOOK_CHECK(false, "an entry taken back was posted");
}

int64_t account_book::draw_unsettled(money amount, write_batch& out) {
  int64_t latest = 0;
  for (auto it = unsettled_by_day_.rbegin(); amount > 0 && it != unsettled_by_day_.rend(); ++it) {
    money take = std::min(amount, it->second);
    if (take == 0)
      continue;
    it->second -= take; // a zero day stays until it settles: undo may refill it
    amount -= take;
    latest = std::max(latest, it->first);
    write_settlement(it->first, out);
  }
  BOOK_CHECK(amount == 0, "the settlement queue covers user_unsettled");
  return latest;
}

void account_book::add_unsettled(int64_t day, money amount, write_batch& out) {
  unsettled_by_day_[day] += amount;
  write_settlement(day, out);
}

void account_book::write_settlement(int64_t day, write_batch& out) const {
  auto it = unsettled_by_day_.find(day);
  out.settlements.push_back(
    settlement_row{profile_.id, day, it == unsettled_by_day_.end() ? 0 : it->second});
}

transfer account_book::begin_deposit(money amount, timestamp now, write_batch& out) {
  BOOK_CHECK(amount > 0, "a deposit is positive");
  transfer t;
  t.id = next_transfer_id_++;
  t.user = profile_.id;
  t.kind = transfer_kind::deposit;
  t.amount = amount;
  t.status = transfer_status::pending;
  t.created_at = t.updated_at = now;
  transfers_.emplace(t.id, t);
  out.transfers.push_back(t);
  write_account(out); // next_transfer_id
  after_mutation();
  return t;
}

transfer account_book::finish_deposit(int64_t id, bool collected, const std::string& detail,
                                      timestamp now, write_batch& out) {
  auto it = transfers_.find(id);
  BOOK_CHECK(it != transfers_.end() && it->second.kind == transfer_kind::deposit
               && it->second.status == transfer_status::pending,
             "a deposit finishes once");
  transfer& t = it->second;
  if (collected) {
    t.status = transfer_status::completed;
    t.gateway_reference = detail;
    post(journal_kind::deposit, transfer_reference(t.id), now,
         {{ledger_account::bank, -t.amount}, {ledger_account::user_cash, t.amount}}, out);
    notify(notification_kind::deposit, transfer_reference(t.id),
           "Deposit of " + rupees(t.amount) + " received", now, out);
  } else {
    t.status = transfer_status::failed;
    t.failure_reason = detail;
    notify(notification_kind::deposit, transfer_reference(t.id),
           "Deposit of " + rupees(t.amount) + " failed: " + detail, now, out);
  }
  t.updated_at = now;
  out.transfers.push_back(t);
  write_account(out);
  after_mutation();
  return t;
}

void account_book::forget_transfer(int64_t id) {
  auto it = transfers_.find(id);
  BOOK_CHECK(it != transfers_.end() && it->second.status == transfer_status::pending,
             "only a pending transfer is forgotten");
  if (it->second.kind == transfer_kind::withdrawal) // its hold was never written
    unpost(journal_kind::withdrawal_hold, transfer_reference(id));
  transfers_.erase(it);
  after_mutation();
}

std::vector<transfer> account_book::pending_transfers() const {
  std::vector<transfer> out;
  for (auto& [_, t] : transfers_)
    if (t.status == transfer_status::pending)
      out.push_back(t);
  return out;
}

std::variant<transfer, rejection> account_book::begin_withdrawal(money amount, timestamp now,
                                                                 write_batch& out) {
  money withdrawable = ledger_balance(ledger_account::user_cash);
  if (amount > withdrawable) {
    money unsettled = ledger_balance(ledger_account::user_unsettled);
    return reject(reject_reason::insufficient_withdrawable,
                  "withdrawable is " + rupees(withdrawable)
                    + (unsettled > 0 ? "; " + rupees(unsettled)
                                         + " of sale proceeds become withdrawable when they settle"
                                     : std::string{}),
                  "amount");
  }
  transfer t;
  t.id = next_transfer_id_++;
  t.user = profile_.id;
  t.kind = transfer_kind::withdrawal;
  t.amount = amount;
  t.status = transfer_status::pending;
  t.created_at = t.updated_at = now;
  post(journal_kind::withdrawal_hold, transfer_reference(t.id), now,
       {{ledger_account::user_cash, -amount}, {ledger_account::user_held, amount}}, out);
  transfers_.emplace(t.id, t);
  out.transfers.push_back(t);
  write_account(out);
  after_mutation();
  return t;
}

transfer account_book::finish_withdrawal(int64_t id, bool paid, const std::string& detail,
                                         timestamp now, write_batch& out) {
  auto it = transfers_.find(id);
  BOOK_CHECK(it != transfers_.end() && it->second.kind == transfer_kind::withdrawal
               && it->second.status == transfer_status::pending,
             "a withdrawal finishes once");
  transfer& t = it->second;
  if (paid) {
    t.status = transfer_status::completed;
    t.gateway_reference = detail;
    post(journal_kind::withdrawal, transfer_reference(t.id), now,
         {{ledger_account::user_held, -t.amount}, {ledger_account::bank, t.amount}}, out);
    notify(notification_kind::withdrawal, transfer_reference(t.id),
           "Withdrawal of " + rupees(t.amount) + " paid out", now, out);
  } else {
    t.status = transfer_status::failed;
    t.failure_reason = detail;
    post(journal_kind::withdrawal_release, transfer_reference(t.id), now,
         {{ledger_account::user_held, -t.amount}, {ledger_account::user_cash, t.amount}}, out);
    notify(notification_kind::withdrawal, transfer_reference(t.id),
           "Withdrawal of " + rupees(t.amount) + " failed: " + detail, now, out);
  }
  t.updated_at = now;
  out.transfers.push_back(t);
  write_account(out);
  after_mutation();
  return t;
}

std::variant<user_profile, rejection> account_book::submit_kyc(const kyc_request& r, timestamp,
                                                               write_batch& out) {
  if (profile_.kyc == kyc_status::verified || profile_.kyc == kyc_status::pending)
    return reject(reject_reason::kyc_already_submitted,
                  "KYC is already " + std::string{to_string(profile_.kyc)});
  profile_.kyc = kyc_status::pending;
  profile_.pan = r.pan;
  profile_.date_of_birth = r.date_of_birth;
  profile_.address = r.address;
  profile_.kyc_reason.clear();
  out.users.push_back(profile_);
  return profile_;
}

user_profile account_book::set_trading_blocked(bool blocked, write_batch& out) {
  profile_.trading_blocked = blocked;
  out.users.push_back(profile_);
  return profile_;
}

void account_book::record_kyc_verdict(bool verified, const std::string& reason, write_batch& out) {
  profile_.kyc = verified ? kyc_status::verified : kyc_status::rejected;
  profile_.kyc_reason = verified ? std::string{} : reason;
  out.users.push_back(profile_);
}

const order* account_book::find(order_id id) const {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

void account_book::set_status(order& o, order_status to) {
  if (!is_legal_transition(o.status, to))
    std::fprintf(stderr, "order %lld: %s -> %s\n", static_cast<long long>(o.id),
                 std::string{to_string(o.status)}.c_str(), std::string{to_string(to)}.c_str());
  BOOK_CHECK(is_legal_transition(o.status, to), "legal order transition");
  o.status = to;
  if (is_final(to))
    working_.erase(o.id);
}

void account_book::release_holds(order& o, timestamp now, write_batch& out) {
  if (o.side == side::buy) {
    if (o.held_cash == 0)
      return;
    // Unsettled proceeds it still holds go back to wait for their day; if
    // that day has come, they are settled cash.
    money back_unsettled = o.held_unsettled;
    bool still_unsettled = back_unsettled > 0 && o.unsettled_due > rules_->calendar.local_day(now);
    if (!still_unsettled)
      back_unsettled = 0;
    post(journal_kind::order_release, order_reference(o.id), now,
         {{ledger_account::user_held, -o.held_cash},
          {ledger_account::user_unsettled, back_unsettled},
          {ledger_account::user_cash, o.held_cash - back_unsettled}},
         out);
    if (back_unsettled > 0)
      add_unsettled(o.unsettled_due, back_unsettled, out);
    o.held_cash = o.held_unsettled = 0;
  } else {
    auto it = holdings_.find(o.symbol);
    if (it != holdings_.end()) {
      // What this order still reserves: its unfilled quantity.
      it->second.held_quantity -= o.quantity - o.filled_quantity;
    }
  }
}

account_row account_book::account_row_now() const {
  return account_row{profile_.id,
                     ledger_balance(ledger_account::user_cash)
                       + ledger_balance(ledger_account::user_unsettled)
                       + ledger_balance(ledger_account::user_held),
                     next_transfer_id_};
}

void account_book::write_holding(const std::string& symbol, write_batch& out) const {
  auto it = holdings_.find(symbol);
  if (it != holdings_.end())
    out.holdings.push_back(holding_row{profile_.id, it->second});
}

void account_book::after_mutation() {
  BOOK_CHECK(ledger_balance(ledger_account::user_cash) >= 0, "settled cash never negative");
  BOOK_CHECK(ledger_balance(ledger_account::user_unsettled) >= 0, "unsettled cash never negative");
  BOOK_CHECK(ledger_balance(ledger_account::user_held) >= 0, "held cash never negative");
  // The full audit walks every working order, holding and transfer. Run it
  // with probability audit_cost_per_mutation / book size on each mutation, so
  // its expected cost per mutation stays constant however many orders a user
  // keeps open (every mutation, for small books). The draw is a hash of the
  // user and the mutation count: memoryless, so accounts that grow alike never
  // fall into step (with a fixed interval they all audited within the same
  // few ms: a 40 ms stall in order_bench).
  size_t book_size = working_.size() + holdings_.size() + transfers_.size();
  uint64_t draw = mix64(static_cast<uint64_t>(profile_.id) * 0x9E3779B97F4A7C15ull + ++mutations_);
  if (draw % std::max<size_t>(book_size, 1) < audit_cost_per_mutation)
    audit();
}

void account_book::audit() const {
  BOOK_CHECK(ledger_.sum() == 0, "the journal balances");
  BOOK_CHECK(ledger_balance(ledger_account::user_cash) >= 0, "settled cash never negative");
  BOOK_CHECK(ledger_balance(ledger_account::user_unsettled) >= 0, "unsettled cash never negative");
  BOOK_CHECK(ledger_balance(ledger_account::user_held) >= 0, "held cash never negative");
  money queued = 0;
  for (auto& [_, amount] : unsettled_by_day_) {
    BOOK_CHECK(amount >= 0, "no settlement day owes a negative amount");
    queued += amount;
  }
  BOOK_CHECK(queued == ledger_balance(ledger_account::user_unsettled),
             "unsettled cash equals the settlement queue");
  money held_for_orders = 0;
  std::map<std::string, int64_t> held_shares;
  for (auto& [id, w] : working_) {
    const order& o = *w.entry;
    BOOK_CHECK(o.id == id, "a working order is the book's");
    BOOK_CHECK(!is_final(o.status), "working orders are not final");
    BOOK_CHECK(o.filled_quantity <= o.quantity, "filled <= quantity");
    if (o.side == side::buy) {
      BOOK_CHECK(o.held_unsettled >= 0 && o.held_unsettled <= o.held_cash,
                 "0 <= held unsettled proceeds <= held cash");
      held_for_orders += o.held_cash;
    } else {
      held_shares[o.symbol] += o.quantity - o.filled_quantity;
    }
  }
  money held_for_withdrawals = 0;
  for (auto& [_, t] : transfers_)
    if (t.kind == transfer_kind::withdrawal && t.status == transfer_status::pending)
      held_for_withdrawals += t.amount;
  BOOK_CHECK(ledger_balance(ledger_account::user_held) == held_for_orders + held_for_withdrawals,
             "held cash equals what working buys and pending withdrawals hold");
  for (auto& [symbol, h] : holdings_) {
    BOOK_CHECK(h.held_quantity >= 0 && h.held_quantity <= h.quantity,
               "0 <= held shares <= owned shares");
    auto it = held_shares.find(symbol);
    BOOK_CHECK(h.held_quantity == (it == held_shares.end() ? 0 : it->second),
               "held shares equal the leaves of working sells");
    BOOK_CHECK(h.quantity == lots_.quantity(symbol), "owned shares equal the open lots");
    BOOK_CHECK(h.cost_basis == lots_.cost(symbol), "cost basis equals the open lots' cost");
  }
}

std::variant<price_alert, rejection> account_book::create_alert(const alert_request& r,
                                                              const instrument* inst,
                                                              timestamp now, write_batch& out) {
  if (!inst)
    return reject(reject_reason::unknown_symbol, "unknown symbol " + r.symbol, "symbol");
  size_t active = std::count_if(alerts_.begin(), alerts_.end(), [](const auto& kv) {
    return kv.second.status == alert_status::active;
  });
  if (active >= max_active_alerts)
    return reject(reject_reason::too_many_alerts,
                  "at most " + std::to_string(max_active_alerts) + " active alerts; cancel one first");
  price_alert a;
  a.id = alerts_.empty() ? 1 : alerts_.rbegin()->first + 1;
  a.user = profile_.id;
  a.symbol = r.symbol;
  a.condition = r.condition;
  a.price = r.price;
  a.created_at = a.updated_at = now;
  alerts_.emplace(a.id, a);
  out.alerts.push_back(a);
  return a;
}

std::variant<price_alert, rejection> account_book::cancel_alert(int64_t id, timestamp now,
                                                              write_batch& out) {
  auto it = alerts_.find(id);
  if (it == alerts_.end())
    return reject(reject_reason::alert_not_found, "no such alert", "alertId");
  price_alert& a = it->second;
  if (a.status != alert_status::active)
    return reject(reject_reason::alert_not_active,
                  "the alert is already " + std::string{to_string(a.status)});
  a.status = alert_status::cancelled;
  a.updated_at = now;
  out.alerts.push_back(a);
  return a;
}

std::optional<price_alert> account_book::trigger_alert(int64_t id, money price, timestamp now,
                                                      write_batch& out) {
  auto it = alerts_.find(id);
  if (it == alerts_.end() || it->second.status != alert_status::active)
    return std::nullopt; // cancelled meanwhile, or a second report of the same crossing
  price_alert& a = it->second;
  a.status = alert_status::triggered;
  a.triggered_price = price;
  a.updated_at = now;
  out.alerts.push_back(a);
  notify(notification_kind::alert_triggered, "alert:" + std::to_string(a.id),
         a.symbol + " traded at " + rupees(price) + ", " + std::string{to_string(a.condition)}
           + " your alert at " + rupees(a.price),
         now, out);
  return a;
}

} // namespace broker
