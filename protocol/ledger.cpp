#include "protocol/ledger.hpp"

#include <numeric>

namespace broker {

namespace {

constexpr std::array<std::string_view, ledger_account_count> account_names{
  "user_cash", "user_unsettled", "user_held", "house_settlement",
  "house_fees", "statutory_charges", "bank"};

constexpr std::array<std::string_view, 10> kind_names{
  "OPENING_BALANCE", "DEPOSIT",    "WITHDRAWAL_HOLD", "WITHDRAWAL", "WITHDRAWAL_RELEASE",
  "ORDER_HOLD",      "ORDER_RELEASE", "BUY_FILL",     "SELL_FILL",  "SETTLEMENT"};

money sum_of(const ledger_amounts& a) { return std::accumulate(a.begin(), a.end(), money{0}); }

} // namespace

std::string_view to_string(ledger_account a) { return account_names[static_cast<size_t>(a)]; }
std::string_view to_string(journal_kind k) { return kind_names[static_cast<size_t>(k)]; }

std::optional<journal_kind> parse_journal_kind(std::string_view s) {
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == s)
      return static_cast<journal_kind>(i);
  return std::nullopt;
}

money journal_entry::sum() const { return sum_of(amounts); }

money journal_entry::user_total() const {
  return (*this)[ledger_account::user_cash] + (*this)[ledger_account::user_unsettled]
         + (*this)[ledger_account::user_held];
}

void ledger_totals::add(const journal_entry& e) {
  for (size_t i = 0; i < ledger_account_count; ++i)
    amounts[i] += e.amounts[i];
}

void ledger_totals::subtract(const journal_entry& e) {
  for (size_t i = 0; i < ledger_account_count; ++i)
    amounts[i] -= e.amounts[i];
}

money ledger_totals::sum() const { return sum_of(amounts); }

} // namespace broker
