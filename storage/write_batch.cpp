#include "storage/store.hpp"

#include <iterator>

namespace broker {

namespace {
template <class T>
void move_append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()),
            std::make_move_iterator(from.end()));
  from.clear();
}
} // namespace

void write_batch::append(write_batch&& other) {
  move_append(users, other.users);
  move_append(accounts, other.accounts);
  move_append(holdings, other.holdings);
  move_append(orders, other.orders);
  move_append(executions, other.executions);
  move_append(transfers, other.transfers);
  move_append(idempotency, other.idempotency);
  move_append(candles, other.candles);
  move_append(alerts, other.alerts);
  move_append(journal, other.journal);
  move_append(settlements, other.settlements);
  move_append(notifications, other.notifications);
  move_append(notification_reads, other.notification_reads);
  move_append(watchlists, other.watchlists);
}

} // namespace broker
