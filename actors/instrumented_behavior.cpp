#include "actors/instrumented_behavior.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

// A behavior around another one: the inner behavior does the work, this one
// keeps the books on it. Only invoke is overridden, so the base class's
// match-case table (begin_/end_) stays empty and unused.
class counted_behavior final : public caf::detail::behavior_impl {
public:
  counted_behavior(caf::scheduled_actor* self, std::shared_ptr<actor_census> census,
                   std::shared_ptr<actor_gauge> gauge, caf::behavior inner)
    : behavior_impl(inner.timeout()), self_(self), census_(std::move(census)),
      gauge_(std::move(gauge)), inner_(inner.as_behavior_impl()) {}

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& f,
                                 caf::type_erased_tuple& xs) override {
    if (xs.size() == 1 && xs.match_element<stats_atom>(0)) {
      // What the actor fetched into its queues at its last turn, without
      // fetching more: mailbox().size() would, and CAF 0.17's fetch path
      // downcasts its queue sentinel, which UBSan rejects. Messages that
      // arrived since wait for the next turn and the next sample.
      uint64_t depth = self_->mailbox().queue().total_task_size();
      f(depth);
      return caf::match_case::match;
    }
    bool traced = gauge_->trace_until_ns.load(std::memory_order_relaxed) > 0;
    // Before the handler: one that makes a response promise takes the sender.
    uint64_t sender = traced ? sender_id() : 0;
    int64_t started = census_->now_ns();
    auto result = inner_->invoke(f, xs);
    int64_t ended = census_->now_ns();
    if (traced && result != caf::match_case::no_match
        && gauge_->trace_until_ns.load(std::memory_order_relaxed) > ended)
      gauge_->record(traced_message{ended, type_of(xs), sender, ended - started});
    if (result != caf::match_case::no_match) {
      // Single writer: load + store, no read-modify-write needed.
      gauge_->messages.store(gauge_->messages.load(std::memory_order_relaxed) + 1,
                             std::memory_order_relaxed);
      gauge_->handler_ns.store(gauge_->handler_ns.load(std::memory_order_relaxed)
                                 + static_cast<uint64_t>(ended - started),
                               std::memory_order_relaxed);
      gauge_->last_active_ns.store(ended, std::memory_order_relaxed);
    }
    return result;
  }

  caf::match_case::result invoke_empty(caf::detail::invoke_result_visitor& f) override {
    return inner_->invoke_empty(f);
  }

  void handle_timeout() override { inner_->handle_timeout(); }

private:
  // The message's kind without its contents: its first atom's name, or its
  // first element's type.
  static std::string type_of(const caf::type_erased_tuple& xs) {
    if (xs.size() == 0)
      return "(empty)";
    if (xs.match_element<caf::atom_value>(0))
      return caf::to_string(xs.get_as<caf::atom_value>(0)) + "/" + std::to_string(xs.size());
    auto* info = xs.type(0).second;
    if (!info)
      return "(unnamed)/" + std::to_string(xs.size());
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name{abi::__cxa_demangle(info->name(), nullptr, nullptr, &status),
                                                     &std::free};
    return std::string{status == 0 && name ? name.get() : info->name()} + "/" + std::to_string(xs.size());
  }
  uint64_t sender_id() const {
    auto& s = self_->current_sender();
    return s ? s->id() : 0;
  }

  caf::scheduled_actor* self_;
  std::shared_ptr<actor_census> census_;
  std::shared_ptr<actor_gauge> gauge_;
  caf::intrusive_ptr<caf::detail::behavior_impl> inner_;
};

} // namespace

caf::behavior instrumented(caf::scheduled_actor* self, const std::shared_ptr<actor_census>& census,
                         actor_kind kind, std::string key, uint64_t parent, caf::behavior b) {
  if (!census)
    return b;
  auto gauge = census->enroll(self->address(), kind, std::move(key), parent);
  caf::intrusive_ptr<caf::detail::behavior_impl> wrapped{
    caf::make_counted<counted_behavior>(self, census, std::move(gauge), std::move(b))};
  return caf::behavior{std::move(wrapped)};
}

} // namespace broker
