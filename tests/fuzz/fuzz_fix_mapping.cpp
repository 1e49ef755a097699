// libFuzzer target: a FIX message off the wire, as QuickFIX parses it (with
// and without the market data dictionary), through every reader of the
// mapping. A malformed message is a QuickFIX exception or a named error,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/fix_mapping.hpp"
#include "protocol/fix_market_data.hpp"
#include "protocol/quickfix.hpp"

namespace {

void read_all(const FIX::Message& m) {
  namespace fix = broker::fix;
  (void)fix::read_order_report(m);
  (void)fix::read_new_order_single(m);
  (void)fix::read_cancel_request(m);
  (void)fix::read_status_request(m);
  fix::book_tops book;
  (void)fix::read_market_data(m, book, 0);
  (void)fix::read_market_data_request(m);
  (void)fix::read_market_data_reject(m);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto groups = broker::fix::market_data_dictionary();
  std::string wire{reinterpret_cast<const char*>(data), size};
  try {
    read_all(FIX::Message{wire, false});
  } catch (const FIX::Exception&) {
  }
  try {
    read_all(FIX::Message{wire, *groups, false});
  } catch (const FIX::Exception&) {
  }
  return 0;
}
