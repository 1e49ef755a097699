#pragma once
// Simulated outside services: the KYC provider and the payment gateway. Real
// brokers call third parties for both; these answer by rules so tests and
// demos can ask for each outcome.
#include <chrono>

#include <caf/fwd.hpp>

#include "protocol/types.hpp"

namespace broker::sim {

struct kyc_options {
  // 0: the verdict comes with the answer. Otherwise the answer says PENDING and
  // the verdict is sent to the asking account after this long.
  std::chrono::milliseconds delay{0};
};

// Verdict rules: a PAN must look like ABCDE1234F (five letters, four digits, a
// letter) or KYC is REJECTED ("PAN format is invalid"); a well-formed PAN
// starting with "ZZZZZ" is REJECTED as a failed identity check, so a test can
// ask for that outcome too. Everything else is VERIFIED.
caf::actor spawn_kyc_provider(caf::actor_system& sys, kyc_options opts);

struct payment_options {
  money fail_above = 0; // collections/payouts above this amount fail; 0: never
};

caf::actor spawn_payment_gateway(caf::actor_system& sys, payment_options opts);

bool pan_well_formed(const std::string& pan);

} // namespace broker::sim
