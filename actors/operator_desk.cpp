#include "actors/operator_desk.hpp"

#include <caf/all.hpp>

#include "actors/instrumented_behavior.hpp"
#include "actors/messages.hpp"

namespace broker {

namespace {

struct desk_state {
  std::shared_ptr<store> db;
  std::shared_ptr<trading_halts> halts;
  std::string dummy_hash;
  static inline const char* name = "operator_desk";
};

using desk_ptr = caf::stateful_actor<desk_state>*;

caf::error unavailable(const store_error& e) {
  return to_error(rejection{reject_reason::storage_unavailable,
                            std::string{"the audit log cannot be written: "} + e.what(), {}});
}

caf::behavior operator_desk(desk_ptr self, std::shared_ptr<store> db,
                            std::shared_ptr<trading_halts> halts, operator_desk_options opts) {
  auto& st = self->state;
  st.db = std::move(db);
  st.halts = std::move(halts);
  st.dummy_hash = hash_password("not a real password", opts.cost);
  return instrumented(self, opts.census, actor_kind::operator_desk, "", 0, {
    [=](login_atom, const std::string& name, const std::string& password) -> caf::result<std::string> {
      auto& st = self->state;
      std::optional<operator_account> found;
      try {
        found = st.db->find_operator(name);
      } catch (const store_error& e) {
        return unavailable(e);
      }
      bool ok = password_matches(found ? found->password_hash : st.dummy_hash, password);
      if (!found || !ok || found->disabled)
        return to_error(rejection{reject_reason::invalid_credentials, "wrong name or password", {}});
      return found->name;
    },
    [=](audit_atom, const audit_entry& e) -> caf::result<int64_t> {
      try {
        return self->state.db->append_audit(e);
      } catch (const store_error& err) {
        return unavailable(err);
      }
    },
    [=](audit_atom, int64_t before_id, int64_t limit) -> caf::result<std::vector<audit_entry>> {
      try {
        return self->state.db->audit_log(before_id, static_cast<size_t>(std::max<int64_t>(limit, 0)));
      } catch (const store_error& err) {
        return unavailable(err);
      }
    },
    [=](halt_atom, const trading_halt& h) -> caf::result<trading_halt> {
      try {
        self->state.db->put_halt(stored_halt{h.symbol, h.reason, h.since, h.operator_name});
      } catch (const store_error& err) {
        return unavailable(err);
      }
      self->state.halts->halt(h);
      return h;
    },
    [=](resume_atom, const std::string& symbol) -> caf::result<bool> {
      if (!self->state.halts->of(symbol))
        return false;
      try {
        self->state.db->remove_halt(symbol);
      } catch (const store_error& err) {
        return unavailable(err);
      }
      return self->state.halts->resume(symbol);
    },
  });
}

} // namespace

caf::actor spawn_operator_desk(caf::actor_system& sys, std::shared_ptr<store> db,
                               std::shared_ptr<trading_halts> halts, operator_desk_options opts) {
  if (opts.detached)
    return sys.spawn<caf::detached>(operator_desk, std::move(db), std::move(halts), std::move(opts));
  return sys.spawn(operator_desk, std::move(db), std::move(halts), std::move(opts));
}

} // namespace broker
