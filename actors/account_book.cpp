#include "actors/account_book.hpp"

#include <algorithm>

#include <cstdio>
#include <cstdlib>

#include "protocol/decimal.hpp"

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
const char* implausible(const order& o, const execution_report& r) {
  switch (r.kind) {
    case exec_kind::trade:
      if (r.last_quantity <= 0 || r.last_price <= 0)
        return "a trade needs a positive quantity and price";
      if (o.filled_quantity + r.last_quantity > o.quantity)
        return "the fill exceeds the order quantity";
      if (o.side == side::buy && r.last_quantity * r.last_price > o.held_cash)
        return "the fill costs more than the order holds (price above its limit)";
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

account_book::account_book(account_seed seed, std::shared_ptr<order_id_source> ids)
  : profile_(std::move(seed.profile)),
    order_ids_(std::move(ids)),
    next_transfer_id_(seed.account.next_transfer_id) {
  if (!order_ids_) {
    order_id highest = 0;
    for (auto& o : seed.orders)
      highest = std::max(highest, o.id);
    order_ids_ = std::make_shared<order_id_source>(highest + 1);
  }
  for (auto& h : seed.holdings)
    holdings_.emplace(h.symbol, std::move(h));
  for (auto& o : seed.orders) {
    if (!is_final(o.status))
      working_.insert(o.id);
    orders_.emplace(o.id, std::move(o));
  }
  exec_ids_.insert(seed.exec_ids.begin(), seed.exec_ids.end());
  for (auto& e : seed.idempotency)
    idempotency_.emplace(e.key, std::move(e));
  for (auto& t : seed.transfers)
    transfers_.emplace(t.id, std::move(t));
  for (auto& a : seed.alerts)
    alerts_.emplace(a.id, std::move(a));
  // Only the total is stored; what is held follows from the books.
  for (order_id id : working_)
    cash_.held += orders_.at(id).held_cash;
  for (auto& [_, t] : transfers_)
    if (t.kind == transfer_kind::withdrawal && t.status == transfer_status::pending)
      cash_.held += t.amount;
  cash_.available = seed.account.cash - cash_.held;
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

  if (r.side == side::buy) {
    money needed = r.quantity * hold_price(r, *inst);
    if (needed > cash_.available)
      return {reject(reject_reason::insufficient_funds,
                     "order needs " + rupees(needed) + ", available " + rupees(cash_.available))};
    cash_.available -= needed;
    cash_.held += needed;
    o.held_cash = needed; // the order row records the hold; the total is unchanged
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
  working_.insert(o.id);
  if (!key.empty()) {
    idempotency_entry e{profile_.id, key, digest(r), o.id};
    out.idempotency.push_back(e);
    idempotency_.emplace(key, std::move(e));
  }
  out.orders.push_back(o);
  orders_.emplace(o.id, o);
  after_mutation();
  return {o, false};
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
  release_holds(o);
  if (!o.idempotency_key.empty())
    idempotency_.erase(o.idempotency_key);
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
  if (exec_ids_.count(r.exec_id))
    return std::nullopt; // applied before: a replay changes nothing
  auto it = orders_.find(r.client_order_id);
  if (it == orders_.end())
    return std::nullopt; // not ours (or abandoned before it was sent)
  order& o = it->second;
  exec_ids_.insert(r.exec_id);
  if (is_final(o.status)) {
    // Final orders take no more changes; remember the id so it stays deduped.
    return std::nullopt;
  }
  // Reports are outside input: one that cannot apply to this order is refused
  // and logged, never allowed to break the books (reconciliation repairs).
  if (auto why = implausible(o, r)) {
    std::fprintf(stderr, "account %lld: ignoring execution report %s for order %lld: %s\n",
                 static_cast<long long>(profile_.id), r.exec_id.c_str(),
                 static_cast<long long>(o.id), why);
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
    case exec_kind::trade: {
      BOOK_CHECK(o.filled_quantity + r.last_quantity <= o.quantity, "checked by implausible()");
      money value = r.last_quantity * r.last_price;
      o.filled_quantity += r.last_quantity;
      o.filled_value += value;
      auto& h = holdings_[o.symbol];
      h.symbol = o.symbol;
      if (o.side == side::buy) {
        BOOK_CHECK(value <= o.held_cash, "a buy fill is covered by its hold");
        o.held_cash -= value;
        cash_.held -= value;
        h.quantity += r.last_quantity;
        h.cost_basis += value;
      } else {
        // Average-cost basis leaves with the shares sold.
        money basis_sold = h.quantity == r.last_quantity
                             ? h.cost_basis
                             : h.cost_basis / h.quantity * r.last_quantity;
        h.quantity -= r.last_quantity;
        h.held_quantity -= r.last_quantity;
        h.cost_basis -= basis_sold;
        cash_.available += value;
      }
      write_holding(o.symbol, out);
      if (o.filled_quantity == o.quantity)
        set_status(o, order_status::filled);
      else if (o.status != order_status::pending_cancel)
        set_status(o, order_status::partially_filled);
      out.executions.push_back(execution_row{o.user, r, o.symbol, o.side});
      break;
    }
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
    release_holds(o);
    if (o.side == side::sell)
      write_holding(o.symbol, out); // its reserved shares are free again
  }
  out.orders.push_back(o);
  if (r.kind == exec_kind::trade)
    write_account(out); // a fill moves the total; holds and releases don't
  after_mutation();
  return o;
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
    cash_.available += t.amount;
  } else {
    t.status = transfer_status::failed;
    t.failure_reason = detail;
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
  if (it->second.kind == transfer_kind::withdrawal) {
    cash_.held -= it->second.amount;
    cash_.available += it->second.amount;
  }
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
  if (amount > cash_.available)
    return reject(reject_reason::insufficient_withdrawable,
                  "withdrawable is " + rupees(cash_.available), "amount");
  transfer t;
  t.id = next_transfer_id_++;
  t.user = profile_.id;
  t.kind = transfer_kind::withdrawal;
  t.amount = amount;
  t.status = transfer_status::pending;
  t.created_at = t.updated_at = now;
  cash_.available -= amount;
  cash_.held += amount;
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
  cash_.held -= t.amount;
  if (paid) {
    t.status = transfer_status::completed;
    t.gateway_reference = detail;
  } else {
    t.status = transfer_status::failed;
    t.failure_reason = detail;
    cash_.available += t.amount;
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

void account_book::release_holds(order& o) {
  if (o.side == side::buy) {
    cash_.held -= o.held_cash;
    cash_.available += o.held_cash;
    o.held_cash = 0;
  } else {
    auto it = holdings_.find(o.symbol);
    if (it != holdings_.end()) {
      // What this order still reserves: its unfilled quantity.
      it->second.held_quantity -= o.quantity - o.filled_quantity;
    }
  }
}

account_row account_book::account_row_now() const {
  return account_row{profile_.id, cash_.available + cash_.held, next_transfer_id_};
}

void account_book::write_holding(const std::string& symbol, write_batch& out) const {
  auto it = holdings_.find(symbol);
  if (it != holdings_.end())
    out.holdings.push_back(holding_row{profile_.id, it->second});
}

void account_book::after_mutation() {
  BOOK_CHECK(cash_.available >= 0, "available cash never negative");
  BOOK_CHECK(cash_.held >= 0, "held cash never negative");
  // The full audit walks every working order, holding and transfer. Run it
  // once per that many mutations, so its cost per mutation stays constant
  // however many orders a user keeps open (every mutation, for small books).
  size_t book_size = working_.size() + holdings_.size() + transfers_.size();
  if (++mutations_since_audit_ * audit_cost_per_mutation >= book_size) {
    mutations_since_audit_ = 0;
    audit();
  }
}

void account_book::audit() const {
  BOOK_CHECK(cash_.available >= 0, "available cash never negative");
  BOOK_CHECK(cash_.held >= 0, "held cash never negative");
  money held_for_orders = 0;
  std::map<std::string, int64_t> held_shares;
  for (order_id id : working_) {
    const order& o = orders_.at(id);
    BOOK_CHECK(!is_final(o.status), "working orders are not final");
    BOOK_CHECK(o.filled_quantity <= o.quantity, "filled <= quantity");
    if (o.side == side::buy)
      held_for_orders += o.held_cash;
    else
      held_shares[o.symbol] += o.quantity - o.filled_quantity;
  }
  money held_for_withdrawals = 0;
  for (auto& [_, t] : transfers_)
    if (t.kind == transfer_kind::withdrawal && t.status == transfer_status::pending)
      held_for_withdrawals += t.amount;
  BOOK_CHECK(cash_.held == held_for_orders + held_for_withdrawals,
             "held cash equals what working buys and pending withdrawals hold");
  for (auto& [symbol, h] : holdings_) {
    BOOK_CHECK(h.held_quantity >= 0 && h.held_quantity <= h.quantity,
               "0 <= held shares <= owned shares");
    auto it = held_shares.find(symbol);
    BOOK_CHECK(h.held_quantity == (it == held_shares.end() ? 0 : it->second),
               "held shares equal the leaves of working sells");
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
  return a;
}

} // namespace broker
