#include "actors/messages.hpp"

#include <caf/message.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace broker {

caf::error to_error(const rejection& r) {
  return caf::error{static_cast<uint8_t>(r.reason), broker_error_category,
                    caf::make_message(r.message, r.field)};
}

rejection to_rejection(const caf::error& e) {
  if (e.category() != broker_error_category) {
    if (e == caf::sec::request_timeout)
      return rejection{reject_reason::overloaded,
                       "the broker is busy and did not answer in time; try again "
                       "(with the same Idempotency-Key, an order is never placed twice)",
                       {}};
    if (e == caf::sec::request_receiver_down)
      return rejection{reject_reason::interrupted,
                       "the broker restarted your account while handling this request, which may or may not "
                       "have taken effect: check before trying again (with the same Idempotency-Key, an order "
                       "is never placed twice)",
                       {}};
    return rejection{reject_reason::internal_error, "internal error", {}};
  }
  rejection r;
  r.reason = static_cast<reject_reason>(e.code());
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string, std::string>()) {
    r.message = ctx.get_as<std::string>(0);
    r.field = ctx.get_as<std::string>(1);
  }
  return r;
}

} // namespace broker
