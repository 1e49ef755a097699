#include "actors/latest_quotes.hpp"

#include <cassert>

#include "protocol/json_writer.hpp"
#include "protocol/views.hpp"

namespace broker {

const std::string& published_quote::json(quote_mode mode) const {
  auto i = static_cast<size_t>(mode);
  std::call_once(encoded_[i], [&] {
    json_writer w;
    write_quote(w, quote_, mode);
    json_[i] = w.take();
  });
  return json_[i];
}

latest_quotes::latest_quotes(const instrument_table& instruments)
  : slots_(instruments.all().size()) {
  for (auto& inst : instruments.all()) {
    by_symbol_.emplace(inst.symbol, symbols_.size());
    symbols_.push_back(inst.symbol);
  }
  for (size_t i = 0; i < symbols_.size(); ++i) {
    quote q;
    q.symbol = symbols_[i];
    q.ltp = q.prev_close = instruments.all()[i].reference_price;
    publish(i, std::move(q));
  }
}

std::optional<size_t> latest_quotes::slot_of(const std::string& symbol) const {
  auto it = by_symbol_.find(symbol);
  if (it == by_symbol_.end())
    return std::nullopt;
  return it->second;
}

void latest_quotes::publish(size_t slot, quote q) {
  assert(q.symbol == symbols_[slot] && "a symbol actor publishes only its own slot");
  auto& s = slots_[slot];
  // One writer per slot, so a plain load + store of the version is race-free.
  uint64_t next = s.version.load(std::memory_order_relaxed) + 1;
  std::atomic_store_explicit(&s.current,
                             std::shared_ptr<const published_quote>(
                               std::make_shared<published_quote>(next, std::move(q))),
                             std::memory_order_release);
  // After the quote: a reader that sees the new version finds the new quote.
  s.version.store(next, std::memory_order_release);
}

std::shared_ptr<const published_quote> latest_quotes::latest(size_t slot) const {
  return std::atomic_load_explicit(&slots_[slot].current, std::memory_order_acquire);
}

uint64_t latest_quotes::version(size_t slot) const {
  return slots_[slot].version.load(std::memory_order_acquire);
}

std::optional<quote> latest_quotes::quote_of(const std::string& symbol) const {
  auto slot = slot_of(symbol);
  if (!slot)
    return std::nullopt;
  return latest(*slot)->value();
}

} // namespace broker
