// libFuzzer target: every REST request parser on arbitrary bytes. Each must
// answer a request or a named error: never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/requests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body{reinterpret_cast<const char*>(data), size};
  using namespace broker;
  (void)parse_signup(body);
  (void)parse_login(body);
  (void)parse_kyc(body);
  (void)parse_transfer(body);
  auto order = parse_place_order(body);
  if (auto* r = std::get_if<place_order_request>(&order))
    (void)digest(*r);
  (void)parse_alert(body);
  for (auto which : {watchlist_fields::create, watchlist_fields::update, watchlist_fields::symbols_only})
    (void)parse_watchlist(body, which);
  (void)parse_mark_read(body);
  return 0;
}
