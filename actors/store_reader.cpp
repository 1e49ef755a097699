#include "actors/store_reader.hpp"
#include "actors/instrumented_behavior.hpp"

#include <caf/all.hpp>

#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "protocol/civil_time.hpp"

namespace broker {

namespace {

caf::behavior store_reader(caf::event_based_actor* self, std::shared_ptr<store> db,
                           std::shared_ptr<actor_census> census) {
  return instrumented(self, census, actor_kind::store_reader, "", 0, {
    [=](candles_atom, const std::string& symbol, timestamp from,
        timestamp to) -> caf::result<std::vector<candle>> {
      try {
        return db->candles_of(symbol, from, to);
      } catch (const std::exception& e) {
        return to_error(rejection{reject_reason::storage_unavailable,
                                  std::string{"could not read the chart: "} + e.what(), {}});
      }
    },
    // The last one-minute close of each local day (days as utc_offset_ns
    // shifts them), per symbol: day -> close.
    [=](closes_atom, const std::vector<std::string>& symbols, timestamp from, timestamp to,
        int64_t utc_offset_ns) -> caf::result<std::map<std::string, std::map<int64_t, money>>> {
      try {
        std::map<std::string, std::map<int64_t, money>> out;
        for (auto& symbol : symbols) {
          auto& closes = out[symbol];
          for (auto& c : db->candles_of(symbol, from, to)) // by start: the last of a day wins
            closes[(c.start + utc_offset_ns) / ns_per_day] = c.close;
        }
        return out;
      } catch (const std::exception& e) {
        return to_error(rejection{reject_reason::storage_unavailable,
                                  std::string{"could not read closing prices: "} + e.what(), {}});
      }
    },
    // Rare (an account actor crashed), so the whole snapshot is read and
    // split; a per-user read would need a store method of its own.
    [=](alerts_atom, const std::string& symbol) -> caf::result<std::vector<price_alert>> {
      try {
        return db->active_alerts_of(symbol);
      } catch (const std::exception& e) {
        return to_error(rejection{reject_reason::storage_unavailable,
                                  std::string{"could not read the alerts: "} + e.what(), {}});
      }
    },
    [=](load_atom, user_id user) -> caf::result<account_seed_ptr> {
      try {
        auto seeds = seeds_from(db->load_user(user));
        auto it = seeds.find(user);
        if (it == seeds.end())
          return account_seed_ptr{};
        return std::make_shared<const account_seed>(std::move(it->second));
      } catch (const std::exception& e) {
        return to_error(rejection{reject_reason::storage_unavailable,
                                  std::string{"could not reload the account: "} + e.what(), {}});
      }
    },
  });
}

} // namespace

caf::actor spawn_store_reader(caf::actor_system& sys, std::shared_ptr<store> db, bool detached,
                              std::shared_ptr<actor_census> census) {
  if (detached)
    return sys.spawn<caf::detached>(store_reader, std::move(db), std::move(census));
  return sys.spawn(store_reader, std::move(db), std::move(census));
}

} // namespace broker
