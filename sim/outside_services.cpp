#include "sim/outside_services.hpp"

#include <cctype>
#include <map>
#include <utility>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/decimal.hpp"

namespace broker::sim {

bool pan_well_formed(const std::string& pan) {
  if (pan.size() != 10)
    return false;
  for (size_t i = 0; i < 10; ++i) {
    auto c = static_cast<unsigned char>(pan[i]);
    bool letter_slot = i < 5 || i == 9;
    if (letter_slot ? !std::isupper(c) : !std::isdigit(c))
      return false;
  }
  return true;
}

namespace {

kyc_verdict judge(const kyc_request& r) {
  if (!pan_well_formed(r.pan))
    return {true, false, "PAN format is invalid"};
  if (r.pan.rfind("ZZZZZ", 0) == 0)
    return {true, false, "identity could not be verified"};
  return {true, true, {}};
}

caf::behavior kyc_provider(caf::event_based_actor* self, kyc_options opts) {
  return {
    [=](verify_atom, user_id, const kyc_request& r) -> kyc_verdict {
      auto verdict = judge(r);
      if (opts.delay.count() == 0)
        return verdict;
      self->delayed_send(caf::actor_cast<caf::actor>(self->current_sender()), opts.delay,
                         verdict_atom::value, verdict);
      return kyc_verdict{false, false, {}};
    },
  };
}

struct gateway_state {
  int64_t next_reference = 1;
  // Answers given, by (user, transfer id). In memory: a restarted brokerd
  // gets a fresh gateway too (a real gateway keeps these on its side).
  std::map<std::pair<user_id, int64_t>, payment_result> answered;
  static inline const char* name = "payment_gateway";
};

caf::behavior payment_gateway(caf::stateful_actor<gateway_state>* self, payment_options opts) {
  // Idempotent by (user, transfer): asked again, it gives the first answer
  // and moves no money twice, as real gateways do with an idempotency key.
  auto answer = [=](const char* prefix, user_id user, int64_t transfer, money amount) {
    auto key = std::make_pair(user, transfer);
    auto& seen = self->state.answered;
    if (auto it = seen.find(key); it != seen.end())
      return it->second;
    payment_result r{true, prefix + std::to_string(self->state.next_reference++)};
    if (opts.fail_above > 0 && amount > opts.fail_above)
      r = payment_result{false, "declined by the bank: amount above "
                                  + format_decimal(opts.fail_above, money_scale)};
    seen.emplace(key, r);
    return r;
  };
  return {
    [=](collect_atom, user_id user, int64_t transfer, money amount) {
      return answer("PGIN-", user, transfer, amount);
    },
    [=](payout_atom, user_id user, int64_t transfer, money amount) {
      return answer("PGOUT-", user, transfer, amount);
    },
  };
}

} // namespace

caf::actor spawn_kyc_provider(caf::actor_system& sys, kyc_options opts) {
  return sys.spawn(kyc_provider, opts);
}

caf::actor spawn_payment_gateway(caf::actor_system& sys, payment_options opts) {
  return sys.spawn(payment_gateway, opts);
}

} // namespace broker::sim
